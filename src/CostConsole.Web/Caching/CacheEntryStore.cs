using System.Runtime.InteropServices;
using System.Threading.Channels;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Routing.Caching;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Caching;

/// <summary>
/// Keeps the cache's entries in the database: changes are queued as they happen (a request never waits for the
/// write) and written in batches by <see cref="CacheMaintenance"/>, which also sweeps expired entries.
/// </summary>
internal sealed class CacheEntryStore(IDbContextFactory<CostConsoleDbContext> factory) : ICacheStore
{
    private readonly Channel<Change> _changes = Channel.CreateUnbounded<Change>(new UnboundedChannelOptions { SingleReader = true });

    public void Added(CacheEntry entry) => _changes.Writer.TryWrite(new Change(entry, null, null));

    public void Hit(CacheEntry entry) => _changes.Writer.TryWrite(new Change(null, entry, null));

    public void Removed(IReadOnlyList<string> ids) => _changes.Writer.TryWrite(new Change(null, null, ids));

    /// <summary>Raised once a purge is in the database, so the other instances can apply it too.</summary>
    public event Action<CachePurge>? Purged;

    /// <summary>
    /// Removes from the database what <paramref name="purge"/> selects, entries other instances stored included, after
    /// the changes queued here; then tells <see cref="Purged"/>. Returns how many rows were left to delete.
    /// </summary>
    public async Task<int> PurgeAsync(CachePurge purge, CancellationToken cancellationToken = default)
    {
        await FlushAsync();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var deleted = await purge.Rows(db.CacheEntries).ExecuteDeleteAsync(cancellationToken);
        Purged?.Invoke(purge);
        return deleted;
    }

    /// <summary>
    /// Drops the entries held here that are no longer in the database (purged by an instance whose notification was
    /// missed). Entries stored here but not yet written are written first, so they are kept.
    /// </summary>
    public async Task<int> ReconcileAsync(ResponseCache cache, CancellationToken cancellationToken = default)
    {
        var held = cache.Entries().Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
        await FlushAsync();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var stored = (await db.CacheEntries.AsNoTracking().Select(e => e.Id).ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
        return cache.Purge(e => held.Contains(e.Id) && !stored.Contains(e.Id));
    }

    /// <summary>Completes once every change queued before the call is in the database.</summary>
    public Task FlushAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _changes.Writer.TryWrite(new Change(null, null, null, done));
        return done.Task;
    }

    public async Task<List<CacheEntry>> LoadAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var rows = await db.CacheEntries.AsNoTracking().Where(e => e.ExpiresAt > now).ToListAsync(cancellationToken);
        return [.. rows.Select(ToEntry)];
    }

    /// <summary>Writes what is queued, a batch at a time, until <paramref name="stoppingToken"/> fires and the queue is empty.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Change>();
        try
        {
            while (await _changes.Reader.WaitToReadAsync(stoppingToken))
            {
                while (batch.Count < 500 && _changes.Reader.TryRead(out var change))
                {
                    batch.Add(change);
                }

                await WriteAsync(batch, stoppingToken);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: what is queued is still written.
            while (_changes.Reader.TryRead(out var change))
            {
                batch.Add(change);
            }

            await WriteAsync(batch, CancellationToken.None);
        }
    }

    private async Task WriteAsync(List<Change> batch, CancellationToken cancellationToken)
    {
        try
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            var hitsWritten = new HashSet<string>(StringComparer.Ordinal);
            foreach (var change in batch)
            {
                if (change.Added is { } added)
                {
                    db.CacheEntries.Add(ToRow(added));
                    await db.SaveChangesAsync(cancellationToken);
                    db.ChangeTracker.Clear();
                }
                else if (change.Hit is { } hit)
                {
                    // A hit carries the entry itself, so any one of them writes its running totals: a popular entry hit
                    // hundreds of times between two writes costs one UPDATE, not one per hit.
                    if (!hitsWritten.Add(hit.Id))
                    {
                        continue;
                    }

                    var saved = (long)decimal.Round(hit.Saved * 1_000_000_000m);
                    var last = hit.LastHitAt;
                    await db.CacheEntries.Where(e => e.Id == hit.Id)
                        .ExecuteUpdateAsync(s => s.SetProperty(e => e.Hits, hit.Hits).SetProperty(e => e.SavedNanoUsd, saved).SetProperty(e => e.LastHitAt, last), cancellationToken);
                }
                else if (change.Removed is { } ids)
                {
                    foreach (var chunk in ids.Chunk(500))
                    {
                        await db.CacheEntries.Where(e => chunk.Contains(e.Id)).ExecuteDeleteAsync(cancellationToken);
                    }
                }
            }
        }
        finally
        {
            foreach (var change in batch)
            {
                change.Flushed?.TrySetResult();
            }
        }
    }

    private static CacheEntryEntity ToRow(CacheEntry e) => new()
    {
        Id = e.Id,
        Namespace = e.Namespace,
        Fingerprint = e.Fingerprint,
        Context = e.Context,
        Prompt = e.Prompt,
        Vector = e.Vector is null ? null : MemoryMarshal.AsBytes(e.Vector.AsSpan()).ToArray(),
        Embedder = e.Embedder,
        Answer = e.Answer,
        FinishReason = e.FinishReason,
        Model = e.Model,
        Tier = e.Tier,
        Rule = e.Rule,
        PromptTokens = e.PromptTokens,
        CompletionTokens = e.CompletionTokens,
        CostNanoUsd = (long)decimal.Round(e.Cost * 1_000_000_000m),
        CreatedAt = e.CreatedAt,
        ExpiresAt = e.ExpiresAt,
        Hits = e.Hits,
        SavedNanoUsd = (long)decimal.Round(e.Saved * 1_000_000_000m),
        LastHitAt = e.LastHitAt,
    };

    private static CacheEntry ToEntry(CacheEntryEntity row)
    {
        var entry = new CacheEntry
        {
            Id = row.Id,
            Namespace = row.Namespace,
            Fingerprint = row.Fingerprint,
            Context = row.Context,
            Prompt = row.Prompt,
            Vector = row.Vector is null ? null : MemoryMarshal.Cast<byte, float>(row.Vector).ToArray(),
            Embedder = row.Embedder,
            Answer = row.Answer,
            FinishReason = row.FinishReason,
            Model = row.Model,
            Tier = row.Tier,
            Rule = row.Rule,
            PromptTokens = row.PromptTokens,
            CompletionTokens = row.CompletionTokens,
            Cost = row.CostNanoUsd / 1_000_000_000m,
            CreatedAt = row.CreatedAt,
            ExpiresAt = row.ExpiresAt,
        };
        entry.Restore(row.Hits, row.SavedNanoUsd / 1_000_000_000m, row.LastHitAt);
        return entry;
    }

    private sealed record Change(CacheEntry? Added, CacheEntry? Hit, IReadOnlyList<string>? Removed, TaskCompletionSource? Flushed = null);
}

/// <summary>Loads the policies saved in the console and the stored entries at start, writes changes as they come, and sweeps expired entries every minute.</summary>
internal sealed partial class CacheMaintenance(ResponseCache cache, CacheEntryStore store, CachePolicies policies, TimeProvider time, ILogger<CacheMaintenance> logger) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await policies.LoadAsync(cancellationToken);
        var entries = await store.LoadAsync(time.GetUtcNow(), cancellationToken);
        cache.Load(entries);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var writer = WriteAsync(stoppingToken);
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                cache.RemoveExpired();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }

        await writer;
    }

    private async Task WriteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await store.RunAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is DbUpdateException or Microsoft.Data.Sqlite.SqliteException or InvalidOperationException)
            {
                // The entry stays served from memory; only its durability is lost.
                NotWritten(logger, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Response cache changes could not be written to the database; the entries are still served until restart.")]
    private static partial void NotWritten(ILogger logger, Exception exception);
}
