namespace CostConsole.Data.Entities;

/// <summary>
/// A response kept because its request had <c>store</c> on (the Responses API's default) under a key whose prompt
/// storage is <c>full</c>: a later request of the same key may continue from it (<c>previous_response_id</c>), fetch it
/// or delete it. Deleted with the stored prompts once older than the retention period.
/// </summary>
public sealed class StoredResponseEntity
{
    /// <summary>The response id (<c>resp_…</c>), which is also the ledger row's request id under another prefix.</summary>
    public required string Id { get; set; }

    /// <summary>The key that created it: only that key sees it.</summary>
    public long? ApiKeyId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The conversation up to this response's input, as chat completions messages (no system message).</summary>
    public required string Conversation { get; set; }

    /// <summary>The response object as the client received it.</summary>
    public required string Response { get; set; }
}
