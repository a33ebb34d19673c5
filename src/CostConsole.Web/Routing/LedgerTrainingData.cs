using System.Globalization;
using CostConsole.Data;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Pipeline;
using CostConsole.Training;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Routing;

/// <summary>
/// Reads labelled examples from the ledger for a date range: the answered requests that carry outcome feedback, an
/// escalation, a judge score or a review, joined to their stored prompts (see <see cref="LedgerTrainingSet"/>).
/// </summary>
public sealed class LedgerTrainingData(IDbContextFactory<CostConsoleDbContext> factory, RoutingState routing)
{
    /// <summary>At most this many requests are read for one training run, the newest first.</summary>
    public const int MaxRows = 200_000;

    /// <exception cref="LabelledFileException">The range is empty or nothing in it is labelled; nothing was trained.</exception>
    public async Task<(LabelledSet Set, LedgerTrainingSummary Summary)> ReadAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        if (to <= from)
        {
            throw new LabelledFileException(0, $"The date range {Day(from)} to {Day(to)} is empty; choose a start before its end.");
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var answered = (int)LedgerStatus.Answered;
        var rows = await db.RequestLog.AsNoTracking()
            .Where(r => r.Timestamp >= from && r.Timestamp < to && r.Status == answered)
            .Where(r => r.Escalations > 0 || r.Review != 0 || (r.AttemptsJson != null && r.AttemptsJson.Contains("\"Judge\""))
                || db.Feedback.Any(f => f.RequestId == r.RequestId))
            .OrderByDescending(r => r.Timestamp)
            .Take(MaxRows)
            .Select(r => new { r.RequestId, r.Tier, r.Prompt, r.RoutingInput, r.PromptRedacted, r.Review, r.AttemptsJson, r.Propensity })
            .ToListAsync(cancellationToken);

        var ids = rows.Select(r => r.RequestId).ToHashSet(StringComparer.Ordinal);
        var feedback = new Dictionary<string, (bool? Resolved, int? Csat)>(StringComparer.Ordinal);
        foreach (var chunk in ids.Chunk(500))
        {
            var found = await db.Feedback.AsNoTracking().Where(f => chunk.Contains(f.RequestId))
                .Select(f => new { f.RequestId, f.Resolved, f.Csat }).ToListAsync(cancellationToken);
            foreach (var f in found)
            {
                feedback[f.RequestId] = (f.Resolved, f.Csat);
            }
        }

        var tiers = routing.Current.Tiers;
        var result = LedgerTrainingSet.Build(
            rows.AsEnumerable().Reverse().Select(r =>
            {
                var outcome = feedback.GetValueOrDefault(r.RequestId);
                return new LedgerTrainingRow(r.RequestId, r.Tier, r.Prompt, r.RoutingInput, r.PromptRedacted, r.Review, r.AttemptsJson, outcome.Resolved, outcome.Csat, r.Propensity);
            }),
            tiers,
            from,
            to);
        if (result.Set.Examples.Count == 0)
        {
            var skipped = result.Summary.Skipped.Count == 0 ? "" : " (" + string.Join(", ", result.Summary.Skipped.Select(s => $"{s.Value} skipped: {s.Key}")) + ")";
            throw new LabelledFileException(0, $"No labelled requests between {Day(from)} and {Day(to)}{skipped}: the router learns from requests with outcome feedback, an escalation, a judge score or a review, and a stored prompt.");
        }

        return result;
    }

    private static string Day(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC";
}
