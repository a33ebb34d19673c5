namespace CostConsole.Routing.Pipeline;

/// <summary>Who sent a request and when it arrived; filled by the host before the pipeline runs.</summary>
/// <param name="ConversationId">The client's conversation id (header <c>x-costconsole-conversation</c>), when it sends one.</param>
/// <param name="Protocol">The API the client spoke (<see cref="ClientProtocols"/>); recorded in the ledger and shown in the trace.</param>
/// <param name="BatchId">The batch the request is a line of: its calls are priced at the models' batch price.</param>
/// <param name="StorePrompt">Whether the ledger keeps the prompt at all; <see cref="PromptStorage"/> says how.</param>
public sealed record CallerContext(string RequestId, long? ApiKeyId, DateTimeOffset ReceivedAt, long StartTimestamp, bool StorePrompt, string? ConversationId = null, string Protocol = ClientProtocols.ChatCompletions, string? BatchId = null)
{
    /// <summary>How a stored prompt is kept: redacted (personal data replaced by placeholders) unless the key's or the global policy says otherwise.</summary>
    public Privacy.PromptStorage PromptStorage { get; init; } = Privacy.PromptStorage.Redacted;

    /// <summary>The request metadata field that names the end user when the request has no <c>user</c> field (configured; null: none).</summary>
    public string? EndUserField { get; init; }

    /// <summary>The policy in force for this request: <see cref="Privacy.PromptStorage.None"/> when prompts are not stored.</summary>
    public Privacy.PromptStorage EffectivePromptStorage => StorePrompt ? PromptStorage : Privacy.PromptStorage.None;
}

/// <summary>The client-facing APIs a request can arrive through. Each is parsed into the same router request.</summary>
public static class ClientProtocols
{
    /// <summary>OpenAI chat completions, <c>POST /v1/chat/completions</c>.</summary>
    public const string ChatCompletions = "chat.completions";

    /// <summary>OpenAI Responses, <c>POST /v1/responses</c>.</summary>
    public const string Responses = "responses";

    /// <summary>Anthropic Messages, <c>POST /v1/messages</c>.</summary>
    public const string Messages = "messages";

    /// <summary>OpenAI embeddings, <c>POST /v1/embeddings</c>.</summary>
    public const string Embeddings = "embeddings";

    /// <summary>The console's playground.</summary>
    public const string Playground = "playground";
}
