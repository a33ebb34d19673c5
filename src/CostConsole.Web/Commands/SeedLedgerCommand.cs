using System.CommandLine;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Data.Keys;
using CostConsole.Data.Metrics;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Pricing;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;
using CostConsole.Web.Extensions;
using CostConsole.Web.Traffic;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Commands;

/// <summary>
/// <c>seed-ledger [--rows 2000000] [--days 30] [--seed 1]</c>: fills the ledger with synthetic history for load and
/// demo purposes — the sample workload's prompts routed by the live rule set, priced at the catalogue's prices,
/// with a day-and-night rhythm, some fallbacks, failures and rejections, spread over keys of several teams, end users
/// (a few heavy ones, many occasional) and their conversations, each with its prompt stored — written straight to
/// SQLite, then rebuilds the rollups. Rows are added to whatever the ledger holds.
/// </summary>
internal static class SeedLedgerCommand
{
    private const int BatchRows = 50_000;

    public static Command Create(ConsoleHost host)
    {
        var rows = ConsoleCommandLine.Number("--rows", "Ledger rows to add", 2_000_000L, 1, 100_000_000);
        var days = ConsoleCommandLine.Number("--days", "Days of history they span, ending now", 30.0, 0.01, 3650);
        var seed = ConsoleCommandLine.Number("--seed", "Random seed, for the same history again", 1, 0, int.MaxValue);
        var users = ConsoleCommandLine.Number("--users", "End users the requests are made for", 50_000, 1, 10_000_000);
        var command = new Command("seed-ledger", "Adds synthetic history to this console's ledger (written straight to SQLite), then rebuilds the rollups. Stop the console first.")
        {
            rows, days, seed, users,
        };
        command.SetAction((parse, _) => ConsoleCommandLine.RunWithDataAsync(parse, host, services =>
            RunAsync(services, parse.GetValue(rows), parse.GetValue(days), parse.GetValue(seed), parse.GetValue(users))));
        return command;
    }

    private static async Task RunAsync(IServiceProvider services, long rows, double days, int seed, int users)
    {
        if (services.GetRequiredService<CostConsole.Data.Database.CostConsoleDatabase>().IsPostgreSql)
        {
            throw new CommandException("seed-ledger writes straight into the SQLite file. Seed a SQLite installation and copy it with migrate-data --to \"<postgres connection string>\".");
        }

        var random = new Random(seed);

        var snapshot = services.GetRequiredService<RoutingState>().Current;
        var workload = services.GetRequiredService<SampleWorkload>();
        var tokens = services.GetRequiredService<ITokenCounter>();
        var data = services.GetRequiredService<DataLocation>();
        var keys = await EnsureKeysAsync(services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>(), workload);
        var shapes = await ShapesAsync(snapshot, workload, tokens);

        var now = DateTimeOffset.UtcNow;
        var from = now - TimeSpan.FromDays(days);
        var spanMs = (now - from).TotalMilliseconds;
        Console.WriteLine($"Seeding {rows:N0} ledger rows over {days:0.##} days for {users:N0} end users into {data.ConnectionString}");
        var started = Stopwatch.GetTimestamp();

        await using (var connection = new SqliteConnection(data.ConnectionString))
        {
            await connection.OpenAsync();
            using (var pragma = connection.CreateCommand())
            {
                pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; PRAGMA busy_timeout=10000; PRAGMA cache_size=-200000;";
                pragma.ExecuteNonQuery();
            }

            // The prompt index is rebuilt once at the end, far faster than a trigger's insert per row.
            var searchTrigger = await SearchTriggerAsync(connection);
            if (searchTrigger is not null)
            {
                Execute(connection, "DROP TRIGGER RequestLogSearch_Insert;");
            }

            using var insert = connection.CreateCommand();
            insert.CommandText = """
                INSERT INTO RequestLog (RequestId, Timestamp, ApiKeyId, Team, EndUser, ConversationId, RequestedModel, Tier, Model, Provider, Rule, Decision, Mapping, RuleSetVersion,
                  PromptTokens, CachedTokens, CompletionTokens, CostNanoUsd, BaselineCostNanoUsd, Priced, LatencyMs, TimeToFirstTokenMs, Status, HttpStatus,
                  ErrorCode, Error, Stream, Fallbacks, AttemptsJson, PromptHash, Prompt)
                VALUES ($id, $ts, $key, $team, $user, $conversation, 'auto', $tier, $model, $provider, $rule, $decision, $mapping, $version, $prompt, $cached, $completion, $cost, $baseline,
                  $priced, $latency, $ttft, $status, $http, $code, $error, 0, $fallbacks, $attempts, $hash, $text)
                """;
            foreach (var name in new[] { "$id", "$ts", "$key", "$team", "$user", "$conversation", "$text", "$tier", "$model", "$provider", "$rule", "$decision", "$mapping", "$version", "$prompt", "$cached", "$completion", "$cost", "$baseline", "$priced", "$latency", "$ttft", "$status", "$http", "$code", "$error", "$fallbacks", "$attempts", "$hash" })
            {
                insert.Parameters.Add(new SqliteParameter(name, null));
            }

            // Timestamps in order, so the ledger's indexes grow at their ends; a day-and-night rhythm shapes the gaps.
            var times = new long[rows];
            for (var i = 0; i < rows; i++)
            {
                times[i] = from.ToUnixTimeMilliseconds() + (long)(Daytime(random) * spanMs);
            }

            Array.Sort(times);
            for (long done = 0; done < rows;)
            {
                using var transaction = connection.BeginTransaction();
                insert.Transaction = transaction;
                var end = Math.Min(rows, done + BatchRows);
                for (; done < end; done++)
                {
                    Bind(insert, shapes[random.Next(shapes.Count)], keys, times[done], random, snapshot, users);
                    insert.ExecuteNonQuery();
                }

                transaction.Commit();
                Console.Write($"\r  {done:N0} rows  {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s");
            }

            Console.WriteLine();
            if (searchTrigger is not null)
            {
                Console.WriteLine("Rebuilding the prompt search index…");
                Execute(connection, searchTrigger + ";");
                Execute(connection, "INSERT INTO RequestLogSearch(RequestLogSearch) VALUES ('rebuild');");
            }
        }

        Console.WriteLine("Rebuilding rollups from the ledger…");
        var rebuild = await services.GetRequiredService<RollupStore>().RebuildAsync(DateTimeOffset.UnixEpoch);
        Console.WriteLine($"Done in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s: {rebuild.LedgerRows:N0} ledger rows → {rebuild.MinuteRows:N0} minute and {rebuild.HourRows:N0} hour rollups ({rebuild.Took.TotalSeconds:0.0} s).");
    }

    /// <summary>The statement that created the prompt index's insert trigger, or null on a database without one.</summary>
    private static async Task<string?> SearchTriggerAsync(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'RequestLogSearch_Insert'";
        return await command.ExecuteScalarAsync() as string;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.CommandTimeout = 0;
        command.ExecuteNonQuery();
    }

    /// <summary>A position in [0, 1) over the span, denser in working hours (UTC 07–19) than at night.</summary>
    private static double Daytime(Random random)
    {
        while (true)
        {
            var x = random.NextDouble();
            var hour = x * 24 * 3650 % 24;
            var density = hour is >= 7 and < 19 ? 1.0 : 0.35;
            if (random.NextDouble() < density)
            {
                return x;
            }
        }
    }

    private sealed record Shape(string Key, RoutingDecision Decision, long PromptTokens, string Prompt);

    /// <summary>A key of the seeded history and the team it belongs to.</summary>
    private sealed record SeedKey(long Id, string Team);

    /// <summary>Each workload prompt, decided once by the live rule set: real rules, tiers and candidate models.</summary>
    private static async Task<List<Shape>> ShapesAsync(RoutingSnapshot snapshot, SampleWorkload workload, ITokenCounter tokens)
    {
        var shapes = new List<Shape>();
        var random = new Random(3);
        foreach (var prompt in workload.Prompts)
        {
            var body = JsonSerializer.SerializeToUtf8Bytes(new { model = "auto", messages = new[] { new { role = "user", content = prompt.Prompt } } });
            using var request = ChatRequestParser.Parse(body, null, tokens);
            var decision = await snapshot.DecideAsync(request);
            var key = workload.Keys.First(k => k.Categories.Contains(prompt.Category)).Name;
            // Weighted like the live generator draws them; a CRM prompt usually comes with some conversation before it.
            for (var copies = 0; copies < Math.Max(1, (int)Math.Round(prompt.Weight)); copies++)
            {
                shapes.Add(new Shape(key, decision, request.PromptTokens + random.Next(40, 900), prompt.Prompt));
            }
        }

        return shapes;
    }

    private static readonly string[] Closings =
    [
        "", "", "", " Thanks in advance.", " This is urgent, please.", " I already tried logging out and in again.",
        " My colleague had the same problem last week.", " Please answer in German.", " Can you also send me a summary by e-mail?",
    ];

    /// <summary>The workload prompt with its digits redrawn (order numbers, amounts) and sometimes a closing sentence.</summary>
    private static string Vary(string prompt, Random random)
    {
        var text = string.Create(prompt.Length, (prompt, random), (span, state) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                var c = state.prompt[i];
                span[i] = char.IsAsciiDigit(c) ? (char)('0' + state.random.Next(10)) : c;
            }
        });
        return text + Closings[random.Next(Closings.Length)];
    }

    /// <summary>An end user, a few of them heavy and most occasional: the square of a uniform draw favours low numbers.</summary>
    private static int EndUser(Random random, int users)
    {
        var u = random.NextDouble();
        return (int)(users * u * u);
    }

    private static void Bind(SqliteCommand insert, Shape shape, IReadOnlyDictionary<string, SeedKey[]> keys, long timestamp, Random random, RoutingSnapshot snapshot, int users)
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(timestamp);
        var decision = shape.Decision;
        var roll = random.NextDouble();
        var status = roll < 0.004 ? LedgerStatus.Rejected : roll < 0.012 ? LedgerStatus.Failed : LedgerStatus.Answered;
        var candidates = decision.Candidates;
        var fallbacks = status == LedgerStatus.Failed ? candidates.Count - 1 : roll < 0.04 && candidates.Count > 1 ? 1 : 0;
        var attempts = new List<AttemptRecord>();
        var completion = (long)(decision.Tier switch { "small" => 40 + random.Next(90), "large" => 250 + random.Next(700), _ => 120 + random.Next(300) });
        var cached = random.NextDouble() < 0.2 ? shape.PromptTokens / 2 : 0;
        var usage = new TokenUsage(shape.PromptTokens, cached, completion);
        var latency = 0.0;
        for (var i = 0; i <= fallbacks && i < candidates.Count; i++)
        {
            var model = candidates[i];
            var answered = status == LedgerStatus.Answered && i == fallbacks;
            var took = LatencyOf(model.Tier, random) * (answered ? 1 : 0.4);
            latency += took;
            var cost = answered ? CostCalculator.Cost(snapshot.Prices, model.Key, at, usage) ?? 0m : 0m;
            attempts.Add(new AttemptRecord(model.Key, model.Provider.Name, model.Tier, answered ? 200 : 503, answered ? "answered" : "model overloaded",
                answered ? usage.PromptTokens : 0, answered ? usage.CompletionTokens : 0, cost, Math.Round(took, 3)));
        }

        var last = candidates[Math.Min(fallbacks, candidates.Count - 1)];
        var rejected = status == LedgerStatus.Rejected;
        var totalCost = rejected ? 0m : attempts.Sum(a => a.Cost);
        var baseline = status == LedgerStatus.Answered && snapshot.Baseline is { } b ? CostCalculator.Cost(snapshot.Prices, b.Key, at, usage) ?? totalCost : totalCost;
        var p = insert.Parameters;
        p["$id"].Value = "req_" + Guid.CreateVersion7(at).ToString("N");
        p["$ts"].Value = timestamp;
        var regional = keys[shape.Key];
        var seedKey = regional[random.Next(regional.Length)];
        p["$key"].Value = seedKey.Id;
        p["$team"].Value = seedKey.Team;
        // Internal analyses are made for no end user; a customer's turns within half an hour are one conversation.
        var internalUse = shape.Key.Contains("analytics", StringComparison.Ordinal);
        var user = internalUse ? -1 : EndUser(random, users);
        p["$user"].Value = internalUse ? DBNull.Value : $"customer-{user:D6}";
        p["$conversation"].Value = internalUse ? DBNull.Value : $"conv-{user:D6}-{timestamp / 1_800_000}";
        var text = Vary(shape.Prompt, random);
        p["$text"].Value = text;
        p["$tier"].Value = rejected ? DBNull.Value : decision.Tier;
        p["$model"].Value = rejected ? DBNull.Value : last.Key;
        p["$provider"].Value = rejected ? DBNull.Value : last.Provider.Name;
        p["$rule"].Value = rejected ? DBNull.Value : (object?)decision.Rule ?? DBNull.Value;
        p["$decision"].Value = rejected ? DBNull.Value : decision.Summary;
        p["$mapping"].Value = rejected ? DBNull.Value : decision.Mapping;
        p["$version"].Value = rejected ? DBNull.Value : decision.RuleSetVersion;
        p["$prompt"].Value = status == LedgerStatus.Answered ? usage.PromptTokens : 0;
        p["$cached"].Value = status == LedgerStatus.Answered ? usage.CachedPromptTokens : 0;
        p["$completion"].Value = status == LedgerStatus.Answered ? usage.CompletionTokens : 0;
        p["$cost"].Value = Money.ToNanoUsd(totalCost);
        p["$baseline"].Value = Money.ToNanoUsd(baseline);
        p["$priced"].Value = status == LedgerStatus.Answered;
        p["$latency"].Value = rejected ? 0.2 + random.NextDouble() : Math.Round(latency, 3);
        p["$ttft"].Value = status == LedgerStatus.Answered ? Math.Round(latency * 0.3, 3) : DBNull.Value;
        p["$status"].Value = (int)status;
        p["$http"].Value = status switch { LedgerStatus.Answered => 200, LedgerStatus.Failed => 502, _ => 401 };
        p["$code"].Value = status switch { LedgerStatus.Answered => DBNull.Value, LedgerStatus.Failed => "upstream_error", _ => "invalid_api_key" };
        p["$error"].Value = status switch
        {
            LedgerStatus.Answered => DBNull.Value,
            LedgerStatus.Failed => $"No model could answer after {attempts.Count} attempt(s). Tried {string.Join("; ", attempts.Select(a => $"{a.Model}: {a.Outcome}"))}.",
            _ => "Missing or unknown API key. Send 'Authorization: Bearer <key>' with a key created in CostConsole.",
        };
        p["$fallbacks"].Value = rejected ? 0 : Math.Max(0, attempts.Count - 1);
        p["$attempts"].Value = rejected ? DBNull.Value : JsonSerializer.Serialize(attempts, AttemptJson);
        p["$hash"].Value = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    private static readonly JsonSerializerOptions AttemptJson = new(JsonSerializerDefaults.Web);

    /// <summary>Log-normal latency around a tier's typical answer time.</summary>
    private static double LatencyOf(string tier, Random random)
    {
        var median = tier switch { "small" => 650.0, "large" => 3200.0, _ => 1400.0 };
        var normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        return median * Math.Exp(0.45 * normal);
    }

    private static readonly string[] Regions = ["eu", "us", "apac", "latam"];

    private static readonly string[] Teams = ["support", "customer success", "sales", "analytics", "platform", "growth"];

    /// <summary>Each workload key once per region, the regions' keys belonging to different teams.</summary>
    private static async Task<Dictionary<string, SeedKey[]>> EnsureKeysAsync(IDbContextFactory<CostConsoleDbContext> factory, SampleWorkload workload)
    {
        await using var db = await factory.CreateDbContextAsync();
        var keys = new Dictionary<string, SeedKey[]>();
        var n = 0;
        foreach (var workloadKey in workload.Keys.Select(k => k.Name))
        {
            var seeded = new List<SeedKey>();
            foreach (var region in Regions)
            {
                var name = $"{workloadKey} ({region})";
                var team = Teams[n++ % Teams.Length];
                var existing = await db.ApiKeys.FirstOrDefaultAsync(k => k.Name == name && k.RevokedAt == null);
                if (existing is null)
                {
                    var secret = "cc-sample-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
                    existing = new ApiKeyEntity { Name = name, Team = team, Prefix = ApiKeySecrets.Prefix(secret), Hash = ApiKeySecrets.Hash(secret), CreatedAt = DateTimeOffset.UtcNow };
                    db.ApiKeys.Add(existing);
                    await db.SaveChangesAsync();
                }

                seeded.Add(new SeedKey(existing.Id, existing.Team ?? team));
            }

            keys[workloadKey] = [.. seeded];
        }

        return keys;
    }
}
