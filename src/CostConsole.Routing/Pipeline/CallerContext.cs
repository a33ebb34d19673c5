namespace CostConsole.Routing.Pipeline;

/// <summary>Who sent a request and when it arrived; filled by the host before the pipeline runs.</summary>
/// <param name="ConversationId">The client's conversation id (header <c>x-costconsole-conversation</c>), when it sends one.</param>
public sealed record CallerContext(string RequestId, long? ApiKeyId, DateTimeOffset ReceivedAt, long StartTimestamp, bool StorePrompt, string? ConversationId = null);
