namespace CostConsole.Routing.Requests;

/// <summary>The request cannot be served as sent; the message says what to change.</summary>
public sealed class ChatRequestException(string code, string message, string? param = null) : Exception(message)
{
    public string Code { get; } = code;

    public string? Param { get; } = param;
}
