using CostConsole.Routing.Requests;

namespace CostConsole.Routing.Pipeline;

/// <summary>
/// Who a request was made for, as the ledger records it: the request's <c>user</c> field (Anthropic's
/// <c>metadata.user_id</c> arrives as the same), else the configured metadata field. Trimmed and capped like the
/// conversation id, so a client cannot bloat the ledger with it.
/// </summary>
public static class EndUsers
{
    /// <summary>The longest end user id kept; longer ones are cut.</summary>
    public const int MaxLength = 200;

    public static string? Of(ChatRequest request, CallerContext caller)
    {
        var value = request.User;
        if (string.IsNullOrWhiteSpace(value) && caller.EndUserField is { Length: > 0 } field && request.Metadata.TryGetValue(field, out var fromMetadata))
        {
            value = fromMetadata;
        }

        value = value?.Trim();
        return string.IsNullOrEmpty(value) ? null : value.Length <= MaxLength ? value : value[..MaxLength];
    }
}
