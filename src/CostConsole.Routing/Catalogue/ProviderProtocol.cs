namespace CostConsole.Routing.Catalogue;

/// <summary>The API a provider speaks upstream.</summary>
public enum ProviderProtocol
{
    /// <summary>OpenAI chat completions (<c>/chat/completions</c>): LiteLLM, Ollama, vLLM, OpenAI, Azure OpenAI, the simulator.</summary>
    Chat,

    /// <summary>Anthropic Messages (<c>/v1/messages</c>), called through the official Anthropic client.</summary>
    Anthropic,
}

/// <summary>The names a protocol has in configuration, the database and the console: <c>chat</c> and <c>anthropic</c>.</summary>
public static class ProviderProtocols
{
    public const string Chat = "chat";
    public const string Anthropic = "anthropic";

    public static readonly IReadOnlyList<string> Names = [Chat, Anthropic];

    public static string Name(ProviderProtocol protocol) => protocol switch
    {
        ProviderProtocol.Anthropic => Anthropic,
        _ => Chat,
    };

    /// <summary>Reads a protocol name; an empty one is chat completions.</summary>
    public static bool TryParse(string? name, out ProviderProtocol protocol)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case null or "" or Chat:
                protocol = ProviderProtocol.Chat;
                return true;
            case Anthropic:
                protocol = ProviderProtocol.Anthropic;
                return true;
            default:
                protocol = ProviderProtocol.Chat;
                return false;
        }
    }

    /// <summary>What a person sees in the catalogue.</summary>
    public static string Label(ProviderProtocol protocol) => protocol switch
    {
        ProviderProtocol.Anthropic => "Anthropic Messages",
        _ => "Chat completions",
    };
}
