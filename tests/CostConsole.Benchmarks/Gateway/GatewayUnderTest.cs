extern alias web;

using System.Net.Http.Headers;
using System.Text;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Data.Ledger;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Benchmarks.Gateway;

/// <summary>
/// The whole app as shipped (Production settings, seeded catalogue and rule set with the trained router, durable
/// SQLite ledger on a fresh data folder, one global budget) served in memory, its providers answered by
/// <see cref="InProcessUpstream"/>. Each stage of a <c>/v1/chat/completions</c> request can be run on its own with the
/// app's own services, so the stages and the whole are measured on the same instance.
/// </summary>
internal sealed class GatewayUnderTest : WebApplicationFactory<web::Program>
{
    public const string ApiKey = "cc-bench-key-0123456789";

    /// <summary>A general question from the sample CRM workload: no rule catches it, so the trained router decides.</summary>
    public static readonly byte[] Body = Encoding.UTF8.GetBytes(
        """{"model":"auto","messages":[{"role":"system","content":"You are the support assistant of an online shop."},{"role":"user","content":"What is the difference between a credit note and a refund, and which one should I ask for when an item arrives damaged?"}]}""");

    private readonly string _dataFolder = Path.Combine(Path.GetTempPath(), "costconsole-bench", Guid.NewGuid().ToString("N"));
    private long _sequence;
    private readonly TaskCompletionSource _firstRow = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private LedgerEntry? _lastEntry;

    public InProcessUpstream Upstream { get; } = new();

    public HttpClient Client { get; private set; } = null!;

    public ChatPipeline Pipeline { get; private set; } = null!;

    public ITokenCounter Tokens { get; private set; } = null!;

    public IAdmissionControl Admission { get; private set; } = null!;

    public IModelInvoker Invoker { get; private set; } = null!;

    public ILedger Ledger { get; private set; } = null!;

    /// <summary>A parsed request whose prompt tokens are counted, as the pipeline has it after parsing.</summary>
    public ChatRequest Request { get; private set; } = null!;

    public RoutingDecision Decision { get; private set; } = null!;

    /// <summary>The outcome of a whole request, as the endpoint writes it.</summary>
    public ChatOutcome Outcome { get; private set; } = null!;

    /// <summary>The ledger row of a whole request, as the writer committed it.</summary>
    public LedgerEntry Entry => _lastEntry!;

    public async Task StartAsync()
    {
        Client = CreateClient();
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        Pipeline = Services.GetRequiredService<ChatPipeline>();
        Tokens = Services.GetRequiredService<ITokenCounter>();
        Admission = Services.GetRequiredService<IAdmissionControl>();
        Invoker = Services.GetRequiredService<IModelInvoker>();
        Ledger = Services.GetRequiredService<ILedger>();
        Services.GetRequiredService<LedgerWriter>().Subscribe(entries =>
        {
            Volatile.Write(ref _lastEntry, entries[^1]);
            _firstRow.TrySetResult();
        });

        await using (var db = await Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>().CreateDbContextAsync())
        {
            db.Budgets.Add(new BudgetEntity { Name = "company", Scope = BudgetScope.Global, Period = BudgetPeriod.Monthly, LimitNanoUsd = 1_000_000_000_000_000, AlertThresholds = "50,80,100" });
            await db.SaveChangesAsync();
        }

        await Services.GetRequiredService<web::CostConsole.Web.Budgets.BudgetGuard>().ReloadAsync();

        await SendAsync();

        // A request is answered once its row is committed; the writer's observers run just after.
        await _firstRow.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Request = ChatRequestParser.Parse(Body, null, Tokens);
        Request.CountPromptTokens(CancellationToken.None);
        Decision = await Pipeline.Snapshot.DecideAsync(Request);
        if (Decision.Classifier != "trained" || Upstream.Calls != 1 || _lastEntry is null)
        {
            throw new InvalidOperationException($"The benchmark request was not decided by the trained router ({Decision.Reason}) or did not reach the upstream and the ledger.");
        }

        Outcome = await Pipeline.CompleteAsync(Request, NewCaller(), CancellationToken.None);
        if (Outcome.Error is { } error)
        {
            throw new InvalidOperationException($"The pipeline failed: {error.Message}");
        }
    }

    /// <summary>One whole request through the HTTP stack, the pipeline and the ledger.</summary>
    public async Task SendAsync()
    {
        using var content = new ByteArrayContent(Body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await Client.PostAsync("/v1/chat/completions", content);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"The gateway answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        await response.Content.CopyToAsync(Stream.Null);
    }

    /// <summary>A request through the same HTTP stack and key check that does no routing: the stack's own cost.</summary>
    public async Task ListModelsAsync()
    {
        using var response = await Client.GetAsync("/v1/models");
        response.EnsureSuccessStatusCode();
        await response.Content.CopyToAsync(Stream.Null);
    }

    public CallerContext NewCaller() =>
        new("req_bench_" + Interlocked.Increment(ref _sequence), null, DateTimeOffset.UtcNow, System.Diagnostics.Stopwatch.GetTimestamp(), StorePrompt: false);

    /// <summary>Parses the body and counts its prompt tokens, as the endpoint does before routing.</summary>
    public void Parse()
    {
        using var request = ChatRequestParser.Parse(Body, null, Tokens);
        request.CountPromptTokens(CancellationToken.None);
    }

    public ValueTask<RoutingDecision> DecideAsync() => Pipeline.Snapshot.DecideAsync(Request);

    /// <summary>Budget admission and its settlement with the request's actual cost.</summary>
    public async ValueTask AdmitAndSettleAsync()
    {
        var admission = await Admission.AdmitAsync(Decision, Request, NewCaller(), CancellationToken.None);
        await admission.SettleAsync(Outcome);
    }

    public Task<UpstreamReply> CallUpstreamAsync() => Invoker.CompleteAsync(Decision.Model, Request, default, CancellationToken.None);

    /// <summary>The outcome headers and the answer's bytes written to a response.</summary>
    public Task WriteResponseAsync()
    {
        var context = new DefaultHttpContext();
        context.Response.Body = Stream.Null;
        web::CostConsole.Web.Api.OpenAIApi.SetOutcomeHeaders(context.Response, Outcome);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = Outcome.Body!.ToMemory().Length;
        return context.Response.Body.WriteAsync(Outcome.Body.ToMemory()).AsTask();
    }

    /// <summary>A copy of the last committed row under a new request id, recorded and committed.</summary>
    public ValueTask RecordAsync() => Ledger.RecordAsync(CopyOfEntry());

    public LedgerEntry CopyOfEntry()
    {
        var e = Entry;
        return new LedgerEntry
        {
            RequestId = "req_bench_" + Interlocked.Increment(ref _sequence),
            Timestamp = DateTimeOffset.UtcNow,
            ApiKeyId = e.ApiKeyId,
            Protocol = e.Protocol,
            RequestedModel = e.RequestedModel,
            Tier = e.Tier,
            Model = e.Model,
            Provider = e.Provider,
            Decision = e.Decision,
            Mapping = e.Mapping,
            RuleSetVersion = e.RuleSetVersion,
            PromptTokens = e.PromptTokens,
            CompletionTokens = e.CompletionTokens,
            Cost = e.Cost,
            BaselineCost = e.BaselineCost,
            Priced = e.Priced,
            LatencyMs = e.LatencyMs,
            Status = e.Status,
            HttpStatus = e.HttpStatus,
            Attempts = e.Attempts,
            PromptHash = e.PromptHash,
        };
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.UseSetting("CostConsole:DataFolder", _dataFolder);
        builder.UseSetting("CostConsole:DevApiKey", ApiKey);
        builder.UseSetting("CostConsole:LocalBaseAddress", "http://upstream.invalid/");
        builder.UseSetting("CostConsole:Admin:Email", "admin@bench.local");
        builder.UseSetting("CostConsole:Admin:Password", "Bench-password-2026");
        builder.ConfigureTestServices(services => services.AddSingleton<IModelInvoker>(sp =>
            UpstreamInvokers.Create(sp.GetRequiredService<ILocalServerAddress>(), sp.GetRequiredService<ITokenCounter>(), Upstream)));
    }

    public override async ValueTask DisposeAsync()
    {
        Request?.Dispose();
        Client?.Dispose();
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dataFolder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
