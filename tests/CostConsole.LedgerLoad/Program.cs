using System.Diagnostics;
using System.Globalization;
using CostConsole.Data;
using CostConsole.Data.Database;
using CostConsole.Data.Ledger;
using CostConsole.Data.Metrics;
using CostConsole.Routing.Pipeline;
using CostConsole.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

// Ledger rows per second, acknowledged (committed) rows as requests see them, on SQLite and on PostgreSQL side by side:
// each run gives every store a fresh database and the same rows from the same number of concurrent writers, and the
// stores take turns run by run, so a busy moment of the machine falls on all of them alike.
//   dotnet run -c Release --project tests/CostConsole.LedgerLoad -- [--rows 20000] [--concurrency 256] [--runs 5]
var rows = Option("--rows", 20_000);
var concurrency = Option("--concurrency", 256);
var runs = Option("--runs", 5);

Store[] stores =
[
    new("SQLite (WAL, synchronous=NORMAL, the default)", DatabaseProvider.Sqlite, new LedgerOptions { Synchronous = "NORMAL" }),
    new("SQLite (WAL, synchronous=FULL)", DatabaseProvider.Sqlite, new LedgerOptions { Synchronous = "FULL" }),
    new("PostgreSQL, binary COPY (the default)", DatabaseProvider.PostgreSql, new LedgerOptions { PostgreSqlWrite = PostgreSqlLedgerWrite.Copy }),
    new("PostgreSQL, batched INSERTs", DatabaseProvider.PostgreSql, new LedgerOptions { PostgreSqlWrite = PostgreSqlLedgerWrite.Insert }),
];

await using var server = new ThrowawayPostgres();
await server.StartAsync();
var folder = Directory.CreateTempSubdirectory("costconsole-ledger-load-").FullName;
var results = stores.ToDictionary(s => s, _ => new List<double>());
Console.WriteLine($"{rows:N0} ledger rows per run from {concurrency} concurrent writers, {runs} runs, PostgreSQL on 127.0.0.1 with fsync on; {Environment.ProcessorCount} cores.");
try
{
    for (var run = 1; run <= runs; run++)
    {
        foreach (var store in stores)
        {
            var connectionString = store.Provider == DatabaseProvider.PostgreSql
                ? await server.CreateDatabaseAsync(server.NewDatabaseName("load"))
                : new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, $"run{run}-{Array.IndexOf(stores, store)}.db"), Cache = SqliteCacheMode.Private }.ToString();
            var perSecond = await MeasureAsync(store, connectionString, rows, concurrency);
            results[store].Add(perSecond);
            Console.WriteLine($"  run {run}: {store.Name,-48} {perSecond,10:N0} rows/s");
        }
    }
}
finally
{
    SqliteConnection.ClearAllPools();
    Directory.Delete(folder, recursive: true);
}

Console.WriteLine();
Console.WriteLine($"| store | median rows/s | runs (rows/s) |");
Console.WriteLine($"|---|---:|---|");
foreach (var store in stores)
{
    Console.WriteLine($"| {store.Name} | {Median(results[store]):N0} | {string.Join(", ", results[store].Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))} |");
}

static async Task<double> MeasureAsync(Store store, string connectionString, int rows, int concurrency)
{
    await using var database = new CostConsoleDatabase(store.Provider, connectionString);
    var options = new DbContextOptionsBuilder<CostConsoleDbContext>();
    database.Configure(options);
    await using (var db = new CostConsoleDbContext(options.Options))
    {
        await db.Database.MigrateAsync();
    }

    // As in the app: on SQLite the rollups are folded in the background from committed batches; on PostgreSQL the
    // ledger writer commits them with the rows.
    await using var rollups = new RollupStore(database, TimeProvider.System, TimeSpan.FromSeconds(2));
    var ledger = new LedgerWriter(database, store.Options);
    ledger.Subscribe(rollups.Observe);
    ledger.Start();
    rollups.Start();
    var next = -1;
    var started = Stopwatch.GetTimestamp();
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
    {
        while (Interlocked.Increment(ref next) is var i && i < rows)
        {
            await ledger.RecordAsync(Entry(i));
        }
    })));
    var took = Stopwatch.GetElapsedTime(started);
    await ledger.DisposeAsync();
    if (ledger.Committed != rows)
    {
        throw new InvalidOperationException($"{store.Name}: {ledger.Committed} of {rows} rows committed.");
    }

    return rows / took.TotalSeconds;
}

static LedgerEntry Entry(int i) => new()
{
    RequestId = "req_" + Guid.NewGuid().ToString("N"),
    Timestamp = DateTimeOffset.UtcNow,
    ApiKeyId = 1 + (i % 20),
    Tier = (i % 3) switch { 0 => "small", 1 => "medium", _ => "large" },
    Model = (i % 3) switch { 0 => "openai/gpt-4.1-nano", 1 => "openai/gpt-4.1-mini", _ => "openai/gpt-4.1" },
    Provider = "openai",
    Rule = (i % 4) switch { 0 => "faq", 1 => "drafting", 2 => "analysis", _ => "default" },
    RequestedModel = "auto",
    PromptTokens = 200 + (i % 300),
    CompletionTokens = 100 + (i % 500),
    Cost = 0.000_123m * (1 + (i % 7)),
    BaselineCost = 0.002m,
    Priced = true,
    LatencyMs = 300 + (i % 900),
    Status = LedgerStatus.Answered,
    HttpStatus = 200,
    PromptHash = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
};

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}

int Option(string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;
}

internal sealed record Store(string Name, DatabaseProvider Provider, LedgerOptions Options);
