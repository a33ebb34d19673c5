using CostConsole.Data;
using CostConsole.Data.Catalogue;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CostConsole.Web.Privacy;

/// <summary>
/// Deletes stored prompts (and the routing input kept with them, and stored Responses API responses) older than <c>CostConsole:Privacy:RetentionDays</c>,
/// at start and every hour. Ledger rows stay, with their costs and tokens. Rows are cleared in small batches, each its
/// own short write, so the ledger writer is never held up for long.
/// </summary>
internal sealed partial class PromptRetention(
    IDbContextFactory<CostConsoleDbContext> factory, IOptions<CostConsoleOptions> options, TimeProvider time, ILogger<PromptRetention> logger) : BackgroundService
{
    public const int BatchSize = 500;

    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    public int RetentionDays => options.Value.Privacy.RetentionDays;

    /// <summary>Clears every stored prompt (and the answer stored with it) older than the retention period; returns how many ledger rows were cleared.</summary>
    public async Task<int> PurgeAsync(CancellationToken cancellationToken = default)
    {
        if (RetentionDays <= 0)
        {
            return 0;
        }

        var cutoff = time.GetUtcNow().AddDays(-RetentionDays);
        var cleared = 0;
        while (true)
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            var ids = await db.RequestLog.Where(r => r.Timestamp < cutoff && (r.Prompt != null || r.RoutingInput != null || r.Answer != null))
                .OrderBy(r => r.Id).Select(r => r.Id).Take(BatchSize).ToListAsync(cancellationToken);
            if (ids.Count == 0)
            {
                break;
            }

            cleared += await db.RequestLog.Where(r => ids.Contains(r.Id))
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.Prompt, (string?)null).SetProperty(r => r.RoutingInput, (string?)null).SetProperty(r => r.Answer, (string?)null), cancellationToken);
            await Task.Yield();
        }

        if (cleared > 0)
        {
            Purged(cleared, RetentionDays);
        }

        // A stored response (previous_response_id) holds its conversation verbatim: it goes with the prompts of its time.
        await using (var db = await factory.CreateDbContextAsync(cancellationToken))
        {
            await db.StoredResponses.Where(r => r.CreatedAt < cutoff).ExecuteDeleteAsync(cancellationToken);
        }

        return cleared;
    }

    /// <summary>The oldest stored prompt's time, for the settings page; null when none is stored.</summary>
    public async Task<DateTimeOffset?> OldestStoredAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var oldest = await db.RequestLog.Where(r => r.Prompt != null || r.RoutingInput != null || r.Answer != null).OrderBy(r => r.Timestamp).Select(r => (DateTimeOffset?)r.Timestamp).FirstOrDefaultAsync(cancellationToken);
        return oldest;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                await PurgeAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                PurgeFailed(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted the stored prompts of {Rows} ledger rows older than {Days} days; their costs and tokens are kept.")]
    private partial void Purged(int rows, int days);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting old stored prompts failed; it is tried again within the hour.")]
    private partial void PurgeFailed(Exception exception);
}
