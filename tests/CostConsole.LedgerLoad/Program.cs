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
// stores take turns run by run, so a busy moment of the machine falls on all of them alike. Beside rows per second it gives
// this process's CPU time per row (on SQLite the whole cost of a row; on PostgreSQL the server's share is not in it) and
// the rows each commit held.
//   dotnet run -c Release --project tests/CostConsole.LedgerLoad -- [--rows 20000] [--concurrency 256] [--runs 5]
//     [--only sqlite|postgresql] [--into PATH]
// --into appends every SQLite run to a copy of an existing ledger (e.g. a seeded month) instead of a fresh database, so the
// indexes a row updates are as deep as a real ledger's; the copy is migrated first and grows by each run's rows.
var rows = Option("--rows", 20_000);
var concurrency = Option("--concurrency", 256);
var runs = Option("--runs", 5);
var only = Text("--only");
var into = Text("--into");

Store[] stores =
[
    new("SQLite (WAL, synchronous=NORMAL, the default)", DatabaseProvider.Sqlite, new LedgerOptions { Synchronous = "NORMAL" }),
    new("SQLite (WAL, synchronous=FULL)", DatabaseProvider.Sqlite, new LedgerOptions { Synchronous = "FULL" }),
    new("PostgreSQL, binary COPY (the default)", DatabaseProvider.PostgreSql, new LedgerOptions { PostgreSqlWrite = PostgreSqlLedgerWrite.Copy }),
    new("PostgreSQL, batched INSERTs", DatabaseProvider.PostgreSql, new LedgerOptions { PostgreSqlWrite = PostgreSqlLedgerWrite.Insert }),
];
stores = [.. stores.Where(s => only is null
    || (only.Equals("sqlite", StringComparison.OrdinalIgnoreCase) && s.Provider == DatabaseProvider.Sqlite)
    || (only.Equals("postgresql", StringComparison.OrdinalIgnoreCase) && s.Provider == DatabaseProvider.PostgreSql))];
if (stores.Length == 0)
{
    Console.Error.WriteLine($"--only {only}: no such store; use sqlite or postgresql.");
    return 2;
}

if (into is not null && !File.Exists(into))
{
    Console.Error.WriteLine($"--into {into}: no such SQLite file.");
    return 2;
}

await using var server = new ThrowawayPostgres();
if (stores.Any(s => s.Provider == DatabaseProvider.PostgreSql))
{
    await server.StartAsync();
}

var folder = Directory.CreateTempSubdirectory("costconsole-ledger-load-").FullName;
var results = stores.ToDictionary(s => s, _ => new List<Measured>());
Console.WriteLine($"{rows:N0} ledger rows per run from {concurrency} concurrent writers, {runs} runs, PostgreSQL on 127.0.0.1 with fsync on; {Environment.ProcessorCount} cores{(into is null ? "" : "; SQLite appends to " + into)}.");
try
{
    for (var run = 1; run <= runs; run++)
    {
        foreach (var store in stores)
        {
            var connectionString = store.Provider == DatabaseProvider.PostgreSql
                ? await server.CreateDatabaseAsync(server.NewDatabaseName("load"))
                : new SqliteConnectionStringBuilder { DataSource = into ?? Path.Combine(folder, $"run{run}-{Array.IndexOf(stores, store)}.db"), Cache = SqliteCacheMode.Private }.ToString();
            var measured = await MeasureAsync(store, connectionString, rows, concurrency);
            results[store].Add(measured);
            Console.WriteLine($"  run {run}: {store.Name,-48} {measured.RowsPerSecond,10:N0} rows/s {measured.CpuMicrosecondsPerRow,8:N1} µs CPU/row {measured.RowsPerCommit,6:N1} rows/commit");
        }
    }
}
finally
{
    SqliteConnection.ClearAllPools();
    Directory.Delete(folder, recursive: true);
}

Console.WriteLine();
Console.WriteLine($"| store | median rows/s | median CPU µs/row | median rows/commit | runs (rows/s) |");
Console.WriteLine($"|---|---:|---:|---:|---|");
foreach (var store in stores)
{
    var measured = results[store];
    Console.WriteLine($"| {store.Name} | {Median([.. measured.Select(m => m.RowsPerSecond)]):N0} | {Median([.. measured.Select(m => m.CpuMicrosecondsPerRow)]):N1} | {Median([.. measured.Select(m => m.RowsPerCommit)]):N1} | {string.Join(", ", measured.Select(m => m.RowsPerSecond.ToString("N0", CultureInfo.InvariantCulture)))} |");
}

return 0;

static async Task<Measured> MeasureAsync(Store store, string connectionString, int rows, int concurrency)
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
    var commits = 0;
    ledger.SubscribeCommits((_, _) => commits++);
    ledger.Start();
    rollups.Start();
    var next = -1;
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var started = Stopwatch.GetTimestamp();
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
    {
        while (Interlocked.Increment(ref next) is var i && i < rows)
        {
            await ledger.RecordAsync(Entry(i));
        }
    })));
    var took = Stopwatch.GetElapsedTime(started);
    var cpuTook = Process.GetCurrentProcess().TotalProcessorTime - cpu;
    await ledger.DisposeAsync();
    if (ledger.Committed != rows)
    {
        throw new InvalidOperationException($"{store.Name}: {ledger.Committed} of {rows} rows committed.");
    }

    return new Measured(rows / took.TotalSeconds, cpuTook.TotalMicroseconds / rows, (double)rows / commits);
}

// Ids as the gateway makes them (time-ordered), with none of the optional columns: the traffic of a gateway whose clients
// send no conversation or end user, with no experiment, shadow, cache or batch.
static LedgerEntry Entry(int i) => new()
{
    RequestId = "req_" + Guid.CreateVersion7().ToString("N"),
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

static double Median(IReadOnlyList<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}

int Option(string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;
}

string? Text(string name)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
}

internal sealed record Store(string Name, DatabaseProvider Provider, LedgerOptions Options);

internal sealed record Measured(double RowsPerSecond, double CpuMicrosecondsPerRow, double RowsPerCommit);
