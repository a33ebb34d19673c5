namespace CostConsole.Routing.Pipeline;

/// <summary>An OpenAI-shaped error: <c>{"error":{"message","type","code","param"}}</c> with its HTTP status.</summary>
public sealed record ChatError(int Status, string Type, string Code, string Message, string? Param = null)
{
    public static ChatError InvalidRequest(string code, string message, string? param = null) => new(400, "invalid_request_error", code, message, param);

    /// <summary>The request ended without an outcome (the ledger could not be written, or the host failed).</summary>
    public static readonly ChatError Interrupted = new(500, "server_error", "interrupted", "The request was interrupted before it completed.");

    public static readonly ChatError ClientClosed = new(499, "client_closed", "client_closed", "The client closed the connection before the answer was complete.");

    public static ChatError ModelNotFound(string message) => new(404, "invalid_request_error", "model_not_found", message, "model");
}
