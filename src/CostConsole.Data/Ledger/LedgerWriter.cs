using System.Threading.Channels;
using CostConsole.Data.Database;
using CostConsole.Routing.Pipeline;
using Microsoft.Extensions.Logging;

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

    /// <summary>How a batch reaches PostgreSQL: binary <c>COPY</c> (the default, measured faster) or one batch of <c>INSERT</c>s.</summary>
    public PostgreSqlLedgerWrite PostgreSqlWrite { get; set; } = PostgreSqlLedgerWrite.Copy;

    /// <summary>
    /// The request metadata field that names the end user when a request has no <c>user</c> field (e.g. <c>customer_id</c>);
    /// unset, only <c>user</c> (and Anthropic's <c>metadata.user_id</c>) is read.
    /// </summary>
    public string? EndUserField { get; set; }
}

public enum PostgreSqlLedgerWrite
{
    Copy,
    Insert,
}

/// <summary>
/// The durable ledger. Requests hand over their row and wait; one writer commits whatever has queued up
/// in a single transaction (group commit) and then releases them all, so a response is acknowledged only
/// after its row is on disk, without a transaction per request.
/// </summary>
public sealed partial class LedgerWriter : ILedger, IAsyncDisposable
{
    private readonly Channel<Pending> _queue;
    private readonly CostConsoleDatabase _database;
    private readonly LedgerOptions _options;
    private readonly Func<long, string?>? _teamOf;
    private readonly ILogger<LedgerWriter>? _logger;
    private readonly List<Action<IReadOnlyList<LedgerEntry>>> _observers = [];
    private readonly List<Action<TimeSpan, int>> _commitObservers = [];
    private Task? _loop;
    private long _committed;

    /// <param name="teamOf">The team of a key as it is now: each row records its key's team when it is written, so spend stays with the team it was made for when a key moves.</param>
    /// <param name="logger">Where a row the ledger refuses is reported, with its request id.</param>
    public LedgerWriter(CostConsoleDatabase database, LedgerOptions options, Func<long, string?>? teamOf = null, ILogger<LedgerWriter>? logger = null)
    {
        _database = database;
        _logger = logger;
        _options = options;
        _teamOf = teamOf;
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
        await using var batchWriter = _database.IsPostgreSql
            ? (LedgerBatchWriter)new PostgreSqlLedgerBatchWriter(_database, _options)
            : new SqliteLedgerBatchWriter(_database.ConnectionString, _options, _database.SqliteWrites);
        var batch = new List<Pending>(_options.MaxBatch);
        var entries = new List<LedgerEntry>(_options.MaxBatch);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < _options.MaxBatch && reader.TryRead(out var pending))
            {
                if (pending.Entry is { Team: null, ApiKeyId: { } keyId } && _teamOf is not null)
                {
                    pending.Entry.Team = _teamOf(keyId);
                }

                batch.Add(pending);
                entries.Add(pending.Entry);
            }

            try
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                await batchWriter.WriteAsync(entries).ConfigureAwait(false);
                Acknowledge(batch, entries, System.Diagnostics.Stopwatch.GetElapsedTime(started));
            }
            catch (Exception ex) when (batch.Count > 1 && batchWriter.IsRowRejected(ex))
            {
                // One row the schema refuses (a request id written twice) must not fail every other request of its batch:
                // each row is written on its own, the good ones are acknowledged, and only the refused row's request fails.
                await WriteOneByOneAsync(batchWriter, batch).ConfigureAwait(false);
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

    private async Task WriteOneByOneAsync(LedgerBatchWriter batchWriter, List<Pending> batch)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var committed = new List<LedgerEntry>(batch.Count);
        var acknowledged = new List<Pending>(batch.Count);
        foreach (var pending in batch)
        {
            try
            {
                await batchWriter.WriteAsync([pending.Entry]).ConfigureAwait(false);
                committed.Add(pending.Entry);
                acknowledged.Add(pending);
            }
            catch (Exception ex)
            {
                if (_logger is not null && batchWriter.IsRowRejected(ex))
                {
                    LogRowRefused(_logger, ex, pending.Entry.RequestId, pending.Entry.Status, pending.Entry.HttpStatus);
                }

                pending.Completion.TrySetException(new LedgerUnavailableException(ex));
            }
        }

        if (committed.Count == 0)
        {
            return;
        }

        Acknowledge(acknowledged, committed, System.Diagnostics.Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Releases the requests whose rows were committed, then tells the observers (rollups, live ticks, commit timings).</summary>
    private void Acknowledge(List<Pending> acknowledged, List<LedgerEntry> committed, TimeSpan took)
    {
        Interlocked.Add(ref _committed, committed.Count);
        foreach (var pending in acknowledged)
        {
            pending.Completion.TrySetResult();
        }

        foreach (var observer in _observers)
        {
            observer(committed);
        }

        foreach (var observer in _commitObservers)
        {
            observer(took, committed.Count);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The ledger refused the row of request {RequestId} ({Status}, HTTP {HttpStatus}); that request failed, the other rows of its batch were written")]
    private static partial void LogRowRefused(ILogger logger, Exception exception, string requestId, LedgerStatus status, int httpStatus);

    private sealed class Pending(LedgerEntry entry)
    {
        public LedgerEntry Entry { get; } = entry;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>The ledger could not commit: the request is not acknowledged.</summary>
public sealed class LedgerUnavailableException(Exception inner)
    : Exception("The request ledger could not be written: " + inner.Message, inner);
