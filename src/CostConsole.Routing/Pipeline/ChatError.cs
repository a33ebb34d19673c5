namespace CostConsole.Routing.Pipeline;

/// <summary>An OpenAI-shaped error: <c>{"error":{"message","type","code","param"}}</c> with its HTTP status.</summary>
public sealed record ChatError(int Status, string Type, string Code, string Message, string? Param = null)
{
    public static ChatError InvalidRequest(string code, string message, string? param = null) => new(400, "invalid_request_error", code, message, param);

    public static ChatError ModelNotFound(string message) => new(404, "invalid_request_error", "model_not_found", message, "model");
}
