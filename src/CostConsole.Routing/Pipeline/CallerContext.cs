namespace CostConsole.Routing.Pipeline;

/// <summary>Who sent a request and when it arrived; filled by the host before the pipeline runs.</summary>
public sealed record CallerContext(string RequestId, long? ApiKeyId, DateTimeOffset ReceivedAt, long StartTimestamp, bool StorePrompt);
