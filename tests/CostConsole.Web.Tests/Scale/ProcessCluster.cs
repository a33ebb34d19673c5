using System.Text.Json;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Routing.Decisions;
using CostConsole.Web.Budgets;
using CostConsole.Web.Keys;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StackExchange.Redis;

namespace CostConsole.Web.Tests.Scale;

/// <summary>
/// A cluster as an operator runs one: one throwaway PostgreSQL, one throwaway Redis, and the built app started as
/// separate OS processes (<c>dotnet CostConsole.Web.dll</c>) on free loopback ports. Instance A is the one the admin
/// works on: it runs in the test process, so the test can press its console's buttons through its services (publish,
/// revoke); B and C — and any the tests add — are processes that know only the shared stores.
/// </summary>
public sealed class ProcessCluster : IAsyncLifetime
{
    public const string Prompt = "Summarise the customer's last three orders and their delivery status.";

    private readonly PostgresServer _postgres = new();
    private readonly List<AppProcess> _processes = [];
    private readonly List<string> _folders = [];
    private Dictionary<string, string> _settings = [];

    public RedisServer Redis { get; } = new();

    public ClusterInstance A { get; private set; } = null!;

    public AppProcess B { get; private set; } = null!;

    public AppProcess C { get; private set; } = null!;

    public string ConnectionString { get; private set; } = "";

    /// <summary>A key under a strict budget of 50 worst cases.</summary>
    public CreatedKey BurstKey { get; private set; } = null!;

    public long BurstLimitNanoUsd { get; private set; }

    public long BurstBudgetId { get; private set; }

    /// <summary>A key under a strict budget far above what the tests spend: every request holds a reservation in Redis.</summary>
    public CreatedKey SteadyKey { get; private set; } = null!;

    public long SteadyBudgetId { get; private set; }

    public static object Body(string model = "gpt-4.1", string prompt = Prompt) =>
        new { model, max_tokens = 100, messages = new[] { new { role = "user", content = prompt } } };

    public async ValueTask InitializeAsync()
    {
        await _postgres.InitializeAsync();
        await Redis.InitializeAsync();
        var name = _postgres.NewDatabaseName("cluster");
        await _postgres.CreateDatabaseAsync(name);
        // Three instances and the test share a server of 200 connections.
        ConnectionString = new NpgsqlConnectionStringBuilder(_postgres.ConnectionString(name)) { MaxPoolSize = 40 }.ToString();
        _settings = new Dictionary<string, string>
        {
            ["CostConsole:Database:Provider"] = "PostgreSql",
            ["CostConsole:Database:ConnectionString"] = ConnectionString,
            ["CostConsole:Redis:Configuration"] = Redis.Configuration,
            // Only a notification can carry a change within the tests' deadlines.
            ["CostConsole:Redis:VersionPollSeconds"] = "3600",
            ["CostConsole:Redis:ReconcileSeconds"] = "2",
            // A killed instance's reservations lapse within the test, not after ten minutes.
            ["CostConsole:Budgets:ReservationSeconds"] = "15",
            ["CostConsole:DevApiKey"] = CostConsoleFactory.ApiKey,
            ["CostConsole:Admin:Email"] = CostConsoleFactory.AdminEmail,
            ["CostConsole:Admin:Password"] = CostConsoleFactory.Password,
            // Requests take long enough to be in flight when an instance is killed.
            ["CostConsole:Simulator:LatencyScale"] = "0.02",
        };

        // A migrates the database and seeds it; the admin sets up keys and budgets before the others join.
        A = new ClusterInstance(_settings);
        _ = A.BaseAddress;
        var keys = A.Services.GetRequiredService<KeyService>();
        BurstKey = await CreateKeyAsync(keys, "burst");
        SteadyKey = await CreateKeyAsync(keys, "steady");
        var worst = await WorstCaseAsync();
        BurstLimitNanoUsd = 50 * worst;
        var budgets = A.Services.GetRequiredService<BudgetService>();
        BurstBudgetId = await SaveBudgetAsync(budgets, new BudgetForm
        {
            Name = "Burst key",
            Scope = BudgetScope.Key,
            ScopeValue = BurstKey.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Period = BudgetPeriod.Daily,
            LimitUsd = BurstLimitNanoUsd / 1_000_000_000m,
            Strict = true,
        });
        SteadyBudgetId = await SaveBudgetAsync(budgets, new BudgetForm
        {
            Name = "Steady key",
            Scope = BudgetScope.Key,
            ScopeValue = SteadyKey.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Period = BudgetPeriod.Monthly,
            LimitUsd = 1000m,
            Strict = true,
        });

        var started = await Task.WhenAll(StartProcessAsync(), StartProcessAsync());
        (B, C) = (started[0], started[1]);
    }

    /// <summary>Starts one more instance as its own process.</summary>
    public async Task<AppProcess> StartProcessAsync()
    {
        var folder = Path.Combine(Path.GetTempPath(), "costconsole-cluster", Guid.NewGuid().ToString("N"));
        lock (_folders)
        {
            _folders.Add(folder);
        }

        var process = await AppProcess.StartAsync(folder, _settings, CancellationToken.None);
        lock (_processes)
        {
            _processes.Add(process);
        }

        return process;
    }

    public static HttpClient Client(Uri baseAddress, string key = CostConsoleFactory.ApiKey)
    {
        var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(120) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        return client;
    }

    public async Task<List<RequestLogRow>> LedgerAsync(CancellationToken ct)
    {
        await using var db = new CostConsoleDbContext(new DbContextOptionsBuilder<CostConsoleDbContext>().UseNpgsql(ConnectionString).Options);
        return await db.RequestLog.AsNoTracking().ToListAsync(ct);
    }

    /// <summary>A budget's shared figures as Redis holds them for the current period: spent, reserved, requests in flight.</summary>
    public async Task<(long Spent, long Reserved, long InFlight)?> CounterAsync(long budgetId)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(Redis.Configuration + ",abortConnect=false,connectTimeout=2000");
        var server = redis.GetServer(redis.GetEndPoints().Single());
        var keys = new List<RedisKey>();
        await foreach (var key in server.KeysAsync(pattern: $"costconsole:budget:{budgetId}:*"))
        {
            keys.Add(key);
        }

        var figures = keys.Where(k => !k.ToString().EndsWith(":reservations", StringComparison.Ordinal) && !k.ToString().EndsWith(":expiries", StringComparison.Ordinal)).ToList();
        if (figures.Count != 1)
        {
            return null;
        }

        var db = redis.GetDatabase();
        var values = await db.HashGetAsync(figures[0], ["spent", "reserved"]);
        var inFlight = await db.HashLengthAsync(figures[0].Append(":reservations"));
        return ((long)values[0], values[1].IsNull ? 0 : (long)values[1], inFlight);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        if (A is not null)
        {
            await A.DisposeAsync();
        }

        await Redis.DisposeAsync();
        await _postgres.DisposeAsync();
        foreach (var folder in _folders)
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is harmless.
            }
        }
    }

    private static async Task<CreatedKey> CreateKeyAsync(KeyService keys, string name)
    {
        var (created, key) = await keys.CreateAsync(new KeyForm { Name = name, Team = "cluster" }, "test");
        Assert.True(created.Saved, created.Summary);
        return key!;
    }

    private static async Task<long> SaveBudgetAsync(BudgetService budgets, BudgetForm form)
    {
        var saved = await budgets.SaveAsync(form, "test");
        Assert.True(saved.Saved, saved.Summary);
        return saved.Id!.Value;
    }

    private async Task<long> WorstCaseAsync()
    {
        var guard = A.Services.GetRequiredService<BudgetGuard>();
        var snapshot = A.Services.GetRequiredService<RoutingState>().Current;
        var body = System.Text.Encoding.UTF8.GetBytes(JsonSerializer.Serialize(Body()));
        using var request = CostConsole.Routing.Requests.ChatRequestParser.Parse(body, null, CostConsole.Routing.Tokens.O200kTokenCounter.Instance);
        return guard.WorstCaseNanoUsd(await snapshot.DecideAsync(request, CancellationToken.None), request, DateTimeOffset.UtcNow);
    }
}

/// <summary>The admin's instance of a <see cref="ProcessCluster"/>: the whole app on a loopback port in the test process.</summary>
public sealed class ClusterInstance(Dictionary<string, string> settings)
    : CostConsoleFactory(settings.ToDictionary(s => s.Key, s => (string?)s.Value));
