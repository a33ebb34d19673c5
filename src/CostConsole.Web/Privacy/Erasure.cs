using System.Globalization;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Data.Metrics;
using CostConsole.Routing.Caching;
using CostConsole.Routing.Pipeline;
using CostConsole.Web.Caching;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Privacy;

/// <summary>Whose data to erase: every request of an end user (the request's <c>user</c> field), of an API key, or of a conversation.</summary>
public enum ErasureSubject
{
    User,
    Key,
    Conversation,
}

/// <summary>What an erasure did: ledger rows anonymised, review-queue items removed, feedback comments and response-cache entries deleted.</summary>
public sealed record ErasureResult(int Rows, int ReviewItems, int FeedbackComments, int CacheEntries = 0)
{
    public string Summary => $"{Rows:N0} ledger row(s) anonymised (stored prompt and answer, routing input, prompt hash, conversation id and end user deleted; costs and tokens kept), "
        + $"{ReviewItems:N0} review-queue item(s) removed, {FeedbackComments:N0} feedback comment(s) deleted, {CacheEntries:N0} response-cache entr{(CacheEntries == 1 ? "y" : "ies")} deleted";
}

/// <summary>
/// Erases what is stored about an end user, a key or a conversation, and records who did it, when and how much in the
/// audit log. Ledger rows are kept for their costs, anonymised.
/// </summary>
internal sealed class Erasure(IDbContextFactory<CostConsoleDbContext> factory, TimeProvider time, ResponseCache? cache = null, CacheEntryStore? cacheStore = null)
{
    private const int BatchSize = 500;

    /// <summary>Why the request cannot be carried out, or null.</summary>
    public static string? Check(ErasureSubject subject, string? value) =>
        string.IsNullOrWhiteSpace(value) ? $"Give the {Name(subject)} whose data to erase."
        : value.Length > 256 ? $"The {Name(subject)} is longer than 256 characters."
        : subject == ErasureSubject.Key && !long.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out _) ? $"'{value}' is not an API key id (a number, as the keys page and the ledger show it)."
        : null;

    public async Task<ErasureResult> EraseAsync(ErasureSubject subject, string value, string actor, CancellationToken cancellationToken = default)
    {
        value = value.Trim();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var ids = await Matching(db, subject, value).OrderBy(r => r.Id).Select(r => new { r.Id, r.RequestId, r.Review, r.CacheEntryId, r.EndUser, r.ConversationId }).ToListAsync(cancellationToken);

        // The response cache keeps answers per key: a key's erasure empties its namespace; an end user's or a
        // conversation's removes every entry that served one of their requests.
        var served = ids.Where(r => r.CacheEntryId is not null).Select(r => r.CacheEntryId!).ToHashSet(StringComparer.Ordinal);
        var keyNamespace = subject == ErasureSubject.Key ? "key:" + value : null;
        var cacheEntries = 0;
        IEnumerable<CachePurge> purges = [.. keyNamespace is null ? [] : new[] { new CachePurge(CachePurgeKind.Namespace, keyNamespace) }, .. CachePurge.OfEntries(served)];
        foreach (var purge in purges)
        {
            // Here, then in the database (entries other instances stored included), which tells the other instances.
            cacheEntries += cache?.Purge(purge.Selects) ?? 0;
            cacheEntries += cacheStore is null ? 0 : await cacheStore.PurgeAsync(purge, cancellationToken);
        }

        var rows = 0;
        var comments = 0;
        foreach (var batch in ids.Chunk(BatchSize))
        {
            var rowIds = batch.Select(r => r.Id).ToList();
            var requestIds = batch.Select(r => r.RequestId).ToList();
            rows += await db.RequestLog.Where(r => rowIds.Contains(r.Id)).ExecuteUpdateAsync(
                s => s.SetProperty(r => r.Prompt, (string?)null)
                    .SetProperty(r => r.Answer, (string?)null)
                    .SetProperty(r => r.RoutingInput, (string?)null)
                    .SetProperty(r => r.PromptHash, (string?)null)
                    .SetProperty(r => r.ConversationId, (string?)null)
                    .SetProperty(r => r.EndUser, (string?)null)
                    .SetProperty(r => r.Review, r => r.Review == (int)ReviewState.Open ? (int)ReviewState.Closed : r.Review),
                cancellationToken);
            // A stored Responses API response (resp_ + the request id's suffix) keeps the conversation verbatim.
            var responseIds = requestIds.Where(id => id.StartsWith("req_", StringComparison.Ordinal)).Select(id => "resp_" + id[4..]).ToList();
            await db.StoredResponses.Where(r => responseIds.Contains(r.Id)).ExecuteDeleteAsync(cancellationToken);
            comments += await db.Feedback.Where(f => requestIds.Contains(f.RequestId) && (f.Comment != null || f.ConversationId != null)).ExecuteUpdateAsync(
                s => s.SetProperty(f => f.Comment, (string?)null).SetProperty(f => f.ConversationId, (string?)null), cancellationToken);
        }

        // The end users and conversations the erased rows named leave the Spend page's running totals: each is recounted
        // from the rows that still name it, and one with none left loses its total, name and all.
        IEnumerable<string?> endUsers = [.. subject == ErasureSubject.User ? [value] : Array.Empty<string>(), .. ids.Select(r => r.EndUser)];
        IEnumerable<string?> conversations = [.. subject == ErasureSubject.Conversation ? [value] : Array.Empty<string>(), .. ids.Select(r => r.ConversationId)];
        await db.Database.OpenConnectionAsync(cancellationToken);
        await SpendTotals.RecountAsync(
            db.Database.GetDbConnection(), db.Database.IsNpgsql(), [.. endUsers.OfType<string>()], [.. conversations.OfType<string>()], cancellationToken);

        var result = new ErasureResult(rows, ids.Count(r => r.Review == (int)ReviewState.Open), comments, cacheEntries);
        db.AuditLog.Add(new AuditLogEntity { At = time.GetUtcNow(), Actor = actor, Action = "privacy.erase", Subject = $"{Name(subject)} '{value}'", Details = result.Summary });
        await db.SaveChangesAsync(cancellationToken);
        return result;
    }

    private static IQueryable<RequestLogRow> Matching(CostConsoleDbContext db, ErasureSubject subject, string value) => subject switch
    {
        ErasureSubject.Key => db.RequestLog.Where(r => r.ApiKeyId == long.Parse(value, CultureInfo.InvariantCulture)),
        ErasureSubject.Conversation => db.RequestLog.Where(r => r.ConversationId == value),

        // The ledger's end user column, and for rows written before it the routing input stored with the prompt.
        _ when db.Database.IsNpgsql() => db.RequestLog.FromSql(
            $"""SELECT * FROM "RequestLog" WHERE "EndUser" = {value} OR ("RoutingInput" IS NOT NULL AND ("RoutingInput"::jsonb -> 'metadata' ->> 'user') = {value})"""),
        _ => db.RequestLog.FromSql($"SELECT * FROM RequestLog WHERE EndUser = {value} OR (RoutingInput IS NOT NULL AND json_extract(RoutingInput, '$.metadata.user') = {value})"),
    };

    private static string Name(ErasureSubject subject) => subject switch
    {
        ErasureSubject.User => "end user",
        ErasureSubject.Key => "API key",
        _ => "conversation",
    };
}
