using CostConsole.Data;
using CostConsole.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Experiments;

/// <summary>
/// Outcome feedback on a request, named by its id or by its conversation (then it applies to the conversation's
/// latest request): first-contact resolution, CSAT 1–5 and a comment. Values not sent are left as they were.
/// </summary>
public sealed record FeedbackInput(string? RequestId, string? ConversationId, bool? Resolved, int? Csat, string? Comment);

public enum FeedbackStatus
{
    Recorded,
    Updated,
    Invalid,
    NotFound,
}

public sealed record FeedbackResult(FeedbackStatus Status, string Message, string? RequestId = null, string? Param = null)
{
    public bool Done => Status is FeedbackStatus.Recorded or FeedbackStatus.Updated;
}

/// <summary>What a request's feedback says now.</summary>
public sealed record FeedbackView(string RequestId, bool? Resolved, int? Csat, string? Comment, string Source, DateTimeOffset UpdatedAt);

/// <summary>Where feedback came from, kept with it.</summary>
public static class FeedbackSources
{
    public const string Api = "api";
    public const string Console = "console";
    public const string Simulated = "simulated";
}

/// <summary>
/// Records outcome feedback, one row per request: the API, the request explorer, the playground and the
/// simulated outcomes of generated traffic all go through <see cref="RecordAsync"/>, so they validate alike.
/// </summary>
public sealed class FeedbackService(IDbContextFactory<CostConsoleDbContext> factory, TimeProvider time)
{
    public const int MaxCommentLength = 2000;

    /// <param name="apiKeyId">When set, only that key's requests can be rated (others are "not found").</param>
    public async Task<FeedbackResult> RecordAsync(FeedbackInput input, string source, long? apiKeyId = null, CancellationToken cancellationToken = default)
    {
        if (Problem(input) is { } invalid)
        {
            return invalid;
        }

        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await SaveAsync(input, source, apiKeyId, cancellationToken);
            }
            catch (DbUpdateException) when (attempt == 0)
            {
                // Someone recorded feedback for the same request at the same moment: update theirs instead.
            }
        }
    }

    public async Task<FeedbackView?> FindAsync(string requestId, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.Feedback.AsNoTracking().Where(f => f.RequestId == requestId)
            .Select(f => new FeedbackView(f.RequestId, f.Resolved, f.Csat, f.Comment, f.Origin, f.UpdatedAt))
            .FirstOrDefaultAsync(cancellationToken);
    }

    private static FeedbackResult? Problem(FeedbackInput input)
    {
        var hasRequest = !string.IsNullOrWhiteSpace(input.RequestId);
        var hasConversation = !string.IsNullOrWhiteSpace(input.ConversationId);
        if (hasRequest == hasConversation)
        {
            return new(FeedbackStatus.Invalid, "Send either request_id (the x-costconsole-request-id of the answer) or conversation_id, not both and not neither.", Param: "request_id");
        }

        if (input.Resolved is null && input.Csat is null && string.IsNullOrWhiteSpace(input.Comment))
        {
            return new(FeedbackStatus.Invalid, "Send at least one of resolved (true/false), csat (1–5) or comment.", Param: "resolved");
        }

        if (input.Csat is { } csat && csat is < 1 or > 5)
        {
            return new(FeedbackStatus.Invalid, $"csat must be a whole number from 1 to 5, but is {csat}.", Param: "csat");
        }

        if (input.Comment is { Length: > MaxCommentLength })
        {
            return new(FeedbackStatus.Invalid, $"The comment is {input.Comment.Length:N0} characters; at most {MaxCommentLength:N0} are kept.", Param: "comment");
        }

        return null;
    }

    private async Task<FeedbackResult> SaveAsync(FeedbackInput input, string source, long? apiKeyId, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var requests = db.RequestLog.AsNoTracking().Where(r => apiKeyId == null || r.ApiKeyId == apiKeyId);
        var target = string.IsNullOrWhiteSpace(input.RequestId)
            ? await requests.Where(r => r.ConversationId == input.ConversationId).OrderByDescending(r => r.Timestamp).ThenByDescending(r => r.Id)
                .Select(r => new { r.RequestId, r.ConversationId }).FirstOrDefaultAsync(cancellationToken)
            : await requests.Where(r => r.RequestId == input.RequestId)
                .Select(r => new { r.RequestId, r.ConversationId }).FirstOrDefaultAsync(cancellationToken);
        if (target is null)
        {
            return string.IsNullOrWhiteSpace(input.RequestId)
                ? new(FeedbackStatus.NotFound, $"No request of this API key belongs to conversation '{input.ConversationId}'.", Param: "conversation_id")
                : new(FeedbackStatus.NotFound, $"No request of this API key has the id '{input.RequestId}'. Use the x-costconsole-request-id header of the answer.", Param: "request_id");
        }

        var now = time.GetUtcNow();
        var feedback = await db.Feedback.FirstOrDefaultAsync(f => f.RequestId == target.RequestId, cancellationToken);
        var created = feedback is null;
        if (feedback is null)
        {
            feedback = new FeedbackEntity { RequestId = target.RequestId, ConversationId = target.ConversationId, Origin = source, CreatedAt = now };
            db.Feedback.Add(feedback);
        }

        feedback.Resolved = input.Resolved ?? feedback.Resolved;
        feedback.Csat = input.Csat ?? feedback.Csat;
        feedback.Comment = string.IsNullOrWhiteSpace(input.Comment) ? feedback.Comment : input.Comment.Trim();
        feedback.Origin = source;
        feedback.UpdatedAt = now;
        await db.SaveChangesAsync(cancellationToken);
        return created
            ? new(FeedbackStatus.Recorded, "Feedback recorded.", target.RequestId)
            : new(FeedbackStatus.Updated, "Feedback updated; it replaces what this request had before.", target.RequestId);
    }
}
