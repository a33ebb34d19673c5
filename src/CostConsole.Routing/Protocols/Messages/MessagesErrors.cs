using System.Buffers;
using System.Text.Json;
using CostConsole.Routing.Pipeline;

namespace CostConsole.Routing.Protocols.Messages;

/// <summary>
/// Errors the way Anthropic clients read them: <c>{"type":"error","error":{"type","message"}}</c>, the type following
/// the HTTP status as Anthropic's does (the SDKs pick their exception class from the status).
/// </summary>
public static class MessagesErrors
{
    public static string TypeFor(int status) => status switch
    {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        503 or 529 => "overloaded_error",
        >= 500 => "api_error",
        _ => "invalid_request_error",
    };

    public static ReadOnlyMemory<byte> Serialize(ChatError error)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, MessagesResponse.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "error");
            writer.WriteStartObject("error"u8);
            writer.WriteString("type"u8, TypeFor(error.Status));
            writer.WriteString("message"u8, error.Message);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }

    /// <summary>The <c>error</c> event that ends a stream which broke after the client had events.</summary>
    public static MessagesStreamEvent StreamEvent(ChatError error) => new("error", Serialize(error));
}
