using System.Text.Json;
using System.Threading.Channels;
using CostConsole.Routing.Pipeline;
using Microsoft.Data.Sqlite;

namespace CostConsole.Data.Ledger;

public sealed class LedgerOptions
{
    /// <summary>Rows committed in one transaction at most.</summary>
    public int MaxBatch { get; set; } = 512;

    /// <summary>Requests waiting for the writer at most; past that, new requests wait (back-pressure).</summary>
    public int QueueCapacity { get; set; } = 20_000;

    /// <summary>
    /// SQLite's synchronous mode. NORMAL in WAL mode survives a killed process (what "acknowledged" protects
    /// against here); FULL also survives power loss at the cost of an fsync per batch.
    /// </summary>
    public string Synchronous { get; set; } = "NORMAL";
}

/// <summary>
/// The durable ledger. Requests hand over their row and wait; one writer commits whatever has queued up
/// in a single transaction (group commit) and then releases them all, so a response is acknowledged only
/// after its row is on disk, without a transaction per request.
/// </summary>
public sealed class LedgerWriter : ILedger, IAsyncDisposable
{
    private static readonly JsonSerializerOptions AttemptJson = new(JsonSerializerDefaults.Web);

    private readonly Channel<Pending> _queue;
    private readonly string _connectionString;
    private readonly LedgerOptions _options;
    private readonly List<Action<IReadOnlyList<LedgerEntry>>> _observers = [];
    private readonly List<Action<TimeSpan, int>> _commitObservers = [];
    private Task? _loop;
    private long _committed;

    public LedgerWriter(string connectionString, LedgerOptions options)
    {
        _connectionString = connectionString;
        _options = options;
        _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Called after each committed batch, on the writer's loop: keep it quick (rollups, live ticks).</summary>
    public void Subscribe(Action<IReadOnlyList<LedgerEntry>> observer) => _observers.Add(observer);

    /// <summary>Called after each committed batch with how long its transaction took and how many rows it held.</summary>
    public void SubscribeCommits(Action<TimeSpan, int> observer) => _commitObservers.Add(observer);

    public long Committed => Interlocked.Read(ref _committed);

    /// <summary>Requests waiting for the writer now.</summary>
    public int Queued => _queue.Reader.Count;

    public void Start() => _loop ??= Task.Run(RunAsync);

    public async ValueTask RecordAsync(LedgerEntry entry, CancellationToken cancellationToken = default)
    {
        var pending = new Pending(entry);
        await _queue.Writer.WriteAsync(pending, cancellationToken).ConfigureAwait(false);
        await pending.Completion.Task.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        // Finish what is queued: every request that is waiting gets its row committed before shutdown.
        _queue.Writer.TryComplete();
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }
    }

    private async Task RunAsync()
    {
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync().ConfigureAwait(false);
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = $"PRAGMA journal_mode=WAL; PRAGMA synchronous={Sanitize(_options.Synchronous)}; PRAGMA busy_timeout=10000;";
            pragma.ExecuteNonQuery();
        }

        using var insert = CreateInsert(connection);
        var batch = new List<Pending>(_options.MaxBatch);
        var entries = new List<LedgerEntry>(_options.MaxBatch);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < _options.MaxBatch && reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            try
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                Write(connection, insert, batch);
                var took = System.Diagnostics.Stopwatch.GetElapsedTime(started);
                Interlocked.Add(ref _committed, batch.Count);
                foreach (var pending in batch)
                {
                    entries.Add(pending.Entry);
                    pending.Completion.TrySetResult();
                }

                foreach (var observer in _observers)
                {
                    observer(entries);
                }

                foreach (var observer in _commitObservers)
                {
                    observer(took, batch.Count);
                }
            }
            catch (Exception ex)
            {
                // Nothing of this batch is acknowledged: each waiting request fails instead of answering.
                foreach (var pending in batch)
                {
                    pending.Completion.TrySetException(new LedgerUnavailableException(ex));
                }
            }

            batch.Clear();
            entries.Clear();
        }
    }

    private static string Sanitize(string mode) => mode.ToUpperInvariant() switch
    {
        "FULL" => "FULL",
        "EXTRA" => "EXTRA",
        _ => "NORMAL",
    };

    private static void Write(SqliteConnection connection, SqliteCommand insert, List<Pending> batch)
    {
        using var transaction = connection.BeginTransaction();
        insert.Transaction = transaction;
        foreach (var pending in batch)
        {
            Bind(insert, pending.Entry);
            insert.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    private static readonly string[] Columns =
    [
        "RequestId", "Timestamp", "ApiKeyId", "RequestedModel", "Tier", "Model", "Provider", "Rule", "Decision", "Mapping",
        "RuleSetVersion", "PromptTokens", "CachedTokens", "CompletionTokens", "CostNanoUsd", "BaselineCostNanoUsd", "Priced",
        "LatencyMs", "TimeToFirstTokenMs", "Status", "HttpStatus", "ErrorCode", "Error", "Stream", "Fallbacks", "AttemptsJson",
        "PromptHash", "Prompt", "RoutingInput", "ConversationId", "ExperimentId", "Arm", "Escalations", "Review", "EscalationCostNanoUsd", "Protocol",
        "PersonalData", "PromptRedacted",
        "CacheLevel", "CacheEntryId", "CacheSimilarity", "CacheAvoidedCostNanoUsd", "BatchId",
    ];

    private static SqliteCommand CreateInsert(SqliteConnection connection)
    {
        var command = connection.CreateCommand();
        command.CommandText = $"INSERT INTO RequestLog ({string.Join(", ", Columns)}) VALUES ({string.Join(", ", Columns.Select(c => "$" + c))})";
        foreach (var column in Columns)
        {
            command.Parameters.Add(new SqliteParameter("$" + column, null));
        }

        command.Prepare();
        return command;
    }

    private static void Bind(SqliteCommand command, LedgerEntry e)
    {
        var p = command.Parameters;
        var i = 0;
        p[i++].Value = e.RequestId;
        p[i++].Value = e.Timestamp.ToUnixTimeMilliseconds();
        p[i++].Value = (object?)e.ApiKeyId ?? DBNull.Value;
        p[i++].Value = (object?)e.RequestedModel ?? DBNull.Value;
        p[i++].Value = (object?)e.Tier ?? DBNull.Value;
        p[i++].Value = (object?)e.Model ?? DBNull.Value;
        p[i++].Value = (object?)e.Provider ?? DBNull.Value;
        p[i++].Value = (object?)e.Rule ?? DBNull.Value;
        p[i++].Value = (object?)e.Decision ?? DBNull.Value;
        p[i++].Value = (object?)e.Mapping ?? DBNull.Value;
        p[i++].Value = (object?)e.RuleSetVersion ?? DBNull.Value;
        p[i++].Value = e.PromptTokens;
        p[i++].Value = e.CachedTokens;
        p[i++].Value = e.CompletionTokens;
        p[i++].Value = Money.ToNanoUsd(e.Cost);
        p[i++].Value = Money.ToNanoUsd(e.BaselineCost);
        p[i++].Value = e.Priced;
        p[i++].Value = e.LatencyMs;
        p[i++].Value = (object?)e.TimeToFirstTokenMs ?? DBNull.Value;
        p[i++].Value = (int)e.Status;
        p[i++].Value = e.HttpStatus;
        p[i++].Value = (object?)e.ErrorCode ?? DBNull.Value;
        p[i++].Value = (object?)e.Error ?? DBNull.Value;
        p[i++].Value = e.Stream;
        p[i++].Value = e.Fallbacks;
        p[i++].Value = e.Attempts.Count == 0 ? DBNull.Value : JsonSerializer.Serialize(e.Attempts, AttemptJson);
        p[i++].Value = (object?)e.PromptHash ?? DBNull.Value;
        p[i++].Value = (object?)e.Prompt ?? DBNull.Value;
        p[i++].Value = (object?)e.RoutingInput ?? DBNull.Value;
        p[i++].Value = (object?)e.ConversationId ?? DBNull.Value;
        p[i++].Value = (object?)e.ExperimentId ?? DBNull.Value;
        p[i++].Value = (object?)e.Arm ?? DBNull.Value;
        p[i++].Value = e.Escalations;
        p[i++].Value = (int)e.Review;
        p[i++].Value = Money.ToNanoUsd(e.EscalationCost);
        p[i++].Value = e.Protocol;
        p[i++].Value = (object?)e.PersonalData ?? DBNull.Value;
        p[i++].Value = e.PromptRedacted;
        p[i++].Value = (object?)e.CacheLevel ?? DBNull.Value;
        p[i++].Value = (object?)e.CacheEntryId ?? DBNull.Value;
        p[i++].Value = (object?)e.CacheSimilarity ?? DBNull.Value;
        p[i++].Value = Money.ToNanoUsd(e.CacheAvoidedCost);
        p[i].Value = (object?)e.BatchId ?? DBNull.Value;
    }

    private sealed class Pending(LedgerEntry entry)
    {
        public LedgerEntry Entry { get; } = entry;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>The ledger could not commit: the request is not acknowledged.</summary>
public sealed class LedgerUnavailableException(Exception inner)
    : Exception("The request ledger could not be written: " + inner.Message, inner);
