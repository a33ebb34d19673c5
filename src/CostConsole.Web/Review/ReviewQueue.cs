using System.Text.Json;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Routing.Pipeline;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Review;

/// <summary>One answer waiting for a person: the top tier's answer also failed its quality gates.</summary>
public sealed record ReviewItem(
    long Id, string RequestId, DateTimeOffset Timestamp, string? Tier, string? Model, int Escalations, string? PromptExcerpt, IReadOnlyList<string> FailedGates);

public sealed record ReviewPage(IReadOnlyList<ReviewItem> Rows, int Total);

/// <summary>
/// The human-escalation queue: ledger rows flagged for review, newest first, read through the
/// (Review, Timestamp) index; marking one handled closes it and leaves a line in the audit log.
/// </summary>
public sealed class ReviewQueue(IDbContextFactory<CostConsoleDbContext> factory, TimeProvider time)
{
    public const int ExcerptLength = 160;

    private static readonly JsonSerializerOptions AttemptJson = new(JsonSerializerDefaults.Web);

    /// <summary>Raised after a review is marked handled, so counts elsewhere in the console can follow.</summary>
    public event Action? Changed;

    public async Task<int> OpenCountAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.RequestLog.CountAsync(r => r.Review == (int)ReviewState.Open, cancellationToken);
    }

    public async Task<ReviewPage> PageAsync(int page, int pageSize, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var open = db.RequestLog.AsNoTracking().Where(r => r.Review == (int)ReviewState.Open);
        var total = await open.CountAsync(cancellationToken);
        var rows = await open
            .OrderByDescending(r => r.Timestamp).ThenByDescending(r => r.Id)
            .Skip(page * pageSize).Take(pageSize)
            .Select(r => new
            {
                r.Id, r.RequestId, r.Timestamp, r.Tier, r.Model, r.Escalations, r.AttemptsJson,
                Prompt = r.Prompt == null ? null : r.Prompt.Substring(0, ExcerptLength * 4),
                r.RoutingInput,
            })
            .ToListAsync(cancellationToken);
        var items = rows.Select(r => new ReviewItem(r.Id, r.RequestId, r.Timestamp, r.Tier, r.Model, r.Escalations, Excerpt(CostConsole.Routing.Requests.RoutingInput.FromJson(r.RoutingInput)?.LastUserText ?? r.Prompt), FailedGates(r.AttemptsJson))).ToList();
        return new ReviewPage(items, total);
    }

    /// <summary>Closes an open review; false when it was not open (already handled, or no such request).</summary>
    public async Task<bool> MarkHandledAsync(long id, string actor, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var requestId = await db.RequestLog.Where(r => r.Id == id && r.Review == (int)ReviewState.Open).Select(r => r.RequestId).FirstOrDefaultAsync(cancellationToken);
        if (requestId is null)
        {
            return false;
        }

        var changed = await db.RequestLog.Where(r => r.Id == id && r.Review == (int)ReviewState.Open)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Review, (int)ReviewState.Closed), cancellationToken);
        if (changed == 0)
        {
            return false;
        }

        db.AuditLog.Add(new AuditLogEntity { At = time.GetUtcNow(), Actor = actor, Action = "review.handled", Subject = requestId });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Changed?.Invoke();
        return true;
    }

    /// <summary>The last attempt's failed gates (the answer that was returned), as "gate: detail".</summary>
    internal static IReadOnlyList<string> FailedGates(string? attemptsJson)
    {
        if (string.IsNullOrEmpty(attemptsJson))
        {
            return [];
        }

        try
        {
            var attempts = JsonSerializer.Deserialize<List<AttemptRecord>>(attemptsJson, AttemptJson) ?? [];
            var answered = attempts.LastOrDefault(a => a.Gates is { Count: > 0 });
            return answered?.Gates?.Where(g => !g.Passed).Select(g => string.IsNullOrEmpty(g.Detail) ? g.Gate : $"{g.Gate}: {g.Detail}").ToList() ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private static string? Excerpt(string? prompt)
    {
        if (prompt is null)
        {
            return null;
        }

        var flat = string.Join(' ', prompt.Split((char[])['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return flat.Length <= ExcerptLength ? flat : flat[..(ExcerptLength - 1)] + "…";
    }
}
