using System.Text.Json;

namespace CostConsole.Routing.Protocols.Batches;

/// <summary>
/// Writes lines of a batch's output and error files as OpenAI writes them:
/// <c>{"id","custom_id","response":{"status_code","request_id","body"},"error"}</c>, one per line.
/// </summary>
public static class BatchOutputFile
{
    /// <summary>A line that ran: the answer (or the error object) as the chat endpoint returned it.</summary>
    public static void WriteResponse(Utf8JsonWriter writer, string id, string customId, int statusCode, string? requestId, string body)
    {
        writer.WriteStartObject();
        writer.WriteString("id", id);
        writer.WriteString("custom_id", customId);
        writer.WriteStartObject("response");
        writer.WriteNumber("status_code", statusCode);
        writer.WriteString("request_id", requestId);
        writer.WritePropertyName("body");
        writer.WriteRawValue(body, skipInputValidation: true);
        writer.WriteEndObject();
        writer.WriteNull("error");
        writer.WriteEndObject();
    }

    /// <summary>A line that never ran (the batch expired first): no response, and why.</summary>
    public static void WriteNotRun(Utf8JsonWriter writer, string id, string customId, string code, string message)
    {
        writer.WriteStartObject();
        writer.WriteString("id", id);
        writer.WriteString("custom_id", customId);
        writer.WriteNull("response");
        writer.WriteStartObject("error");
        writer.WriteString("code", code);
        writer.WriteString("message", message);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
