namespace CostConsole.Routing.Catalogue;

/// <summary>
/// The client APIs a provider speaks itself, besides the one its <see cref="ProviderProtocol"/> names: a request in one of
/// them, routed to the provider, is passed through (the client's body with only the model changed) instead of translated.
/// </summary>
[Flags]
public enum NativeApis
{
    None = 0,

    /// <summary>OpenAI's Responses API (<c>/responses</c> beside the provider's chat completions).</summary>
    Responses = 1,

    /// <summary>Anthropic Messages (<c>/v1/messages</c>).</summary>
    Messages = 2,
}

/// <summary>The names native APIs have in configuration, the database and the console: <c>chat</c>, <c>responses</c>, <c>messages</c>.</summary>
public static class NativeApiNames
{
    public const string Chat = "chat";
    public const string Responses = "responses";
    public const string Messages = "messages";

    public static readonly IReadOnlyList<string> Names = [Chat, Responses, Messages];

    /// <summary>
    /// Reads a list of API names for a provider of <paramref name="kind"/>. <c>chat</c> is what a chat completions provider
    /// speaks anyway, and <c>messages</c> what an Anthropic one does; an Anthropic provider does not speak chat completions.
    /// </summary>
    /// <returns>Null when the list is valid; otherwise what is wrong with it, in words a person can act on.</returns>
    public static string? TryParse(IEnumerable<string>? names, ProviderProtocol kind, out NativeApis apis)
    {
        apis = NativeApis.None;
        foreach (var raw in names ?? [])
        {
            switch (raw?.Trim().ToLowerInvariant())
            {
                case null or "":
                    continue;
                case Chat when kind == ProviderProtocol.Chat:
                    continue;
                case Chat:
                    return $"A provider that speaks {ProviderProtocols.Label(kind)} does not speak chat completions: chat completions requests are translated for it. Remove 'chat', or set its protocol to 'chat'.";
                case Responses:
                    apis |= NativeApis.Responses;
                    continue;
                case Messages:
                    apis |= NativeApis.Messages;
                    continue;
                default:
                    return $"'{raw}' is not an API CostConsole can pass through; use any of: {string.Join(", ", Names)}.";
            }
        }

        if (kind == ProviderProtocol.Anthropic)
        {
            apis |= NativeApis.Messages;
        }

        return null;
    }

    /// <summary>Reads the comma-separated list the database keeps; names it does not know are left out.</summary>
    public static NativeApis Parse(string? stored, ProviderProtocol kind)
    {
        var apis = kind == ProviderProtocol.Anthropic ? NativeApis.Messages : NativeApis.None;
        foreach (var name in (stored ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            apis |= name.ToLowerInvariant() switch
            {
                Responses => NativeApis.Responses,
                Messages => NativeApis.Messages,
                _ => NativeApis.None,
            };
        }

        return apis;
    }

    /// <summary>The comma-separated list the database keeps, e.g. <c>responses,messages</c>; empty for none.</summary>
    public static string Format(NativeApis apis) => string.Join(",", Split(apis));

    public static IReadOnlyList<string> Split(NativeApis apis)
    {
        var names = new List<string>(2);
        if (apis.HasFlag(NativeApis.Responses))
        {
            names.Add(Responses);
        }

        if (apis.HasFlag(NativeApis.Messages))
        {
            names.Add(Messages);
        }

        return names;
    }

    /// <summary>What a person sees in the catalogue.</summary>
    public static string Label(NativeApis api) => api switch
    {
        NativeApis.Responses => "Responses API",
        NativeApis.Messages => "Anthropic Messages",
        _ => "none",
    };
}
