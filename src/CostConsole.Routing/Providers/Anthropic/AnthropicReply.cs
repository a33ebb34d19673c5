using System.Buffers;
using System.Text;
using System.Text.Json;

namespace CostConsole.Routing.Providers.Anthropic;

/// <summary>
/// Writes an Anthropic Messages answer as the chat completion the rest of the router reads: text blocks joined as the
/// message content, <c>tool_use</c> blocks as tool calls, the stop reason as a finish reason, and usage with cache reads
/// as <c>prompt_tokens_details.cached_tokens</c> and cache writes as <c>cache_creation_input_tokens</c>, both inside
/// <c>prompt_tokens</c> as chat completions counts them.
/// </summary>
internal static class AnthropicReply
{
    /// <summary>The chat completion <paramref name="message"/> reads as; one that is not a message object (or <c>default</c>) reads as an answer without text or usage.</summary>
    public static byte[] ToChatCompletion(JsonElement message, long created)
    {
        var text = new StringBuilder();
        var calls = new List<JsonElement>();
        if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array)
        {
            foreach (var block in content.EnumerateArray())
            {
                switch (String(block, "type"))
                {
                    case "text":
                        text.Append(String(block, "text"));
                        break;
                    case "tool_use":
                        calls.Add(block);
                        break;
                }
            }
        }

        var buffer = new ArrayBufferWriter<byte>(1024 + text.Length);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id"u8, String(message, "id") ?? "msg");
            writer.WriteString("object"u8, "chat.completion");
            writer.WriteNumber("created"u8, created);
            writer.WriteString("model"u8, String(message, "model") ?? "");
            writer.WriteStartArray("choices"u8);
            writer.WriteStartObject();
            writer.WriteNumber("index"u8, 0);
            writer.WriteStartObject("message"u8);
            writer.WriteString("role"u8, "assistant");
            if (text.Length > 0 || calls.Count == 0)
            {
                writer.WriteString("content"u8, text.ToString());
            }
            else
            {
                writer.WriteNull("content"u8);
            }

            if (calls.Count > 0)
            {
                writer.WriteStartArray("tool_calls"u8);
                foreach (var call in calls)
                {
                    writer.WriteStartObject();
                    writer.WriteString("id"u8, String(call, "id") ?? "");
                    writer.WriteString("type"u8, "function");
                    writer.WriteStartObject("function"u8);
                    writer.WriteString("name"u8, String(call, "name") ?? "");
                    writer.WriteString("arguments"u8, call.TryGetProperty("input", out var input) ? input.GetRawText() : "{}");
                    writer.WriteEndObject();
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
            writer.WriteString("finish_reason"u8, FinishReason(String(message, "stop_reason")));
            writer.WriteEndObject();
            writer.WriteEndArray();
            if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                WriteUsage(writer, Usage.Read(usage));
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Messages' stop reason in chat completions' words.</summary>
    public static string FinishReason(string? stopReason) => stopReason switch
    {
        "max_tokens" or "model_context_window_exceeded" => "length",
        "tool_use" => "tool_calls",
        "refusal" => "content_filter",
        _ => "stop",
    };

    public static void WriteUsage(Utf8JsonWriter writer, Usage usage)
    {
        var prompt = usage.Input + usage.CacheRead + usage.CacheWrite;
        writer.WriteStartObject("usage"u8);
        writer.WriteNumber("prompt_tokens"u8, prompt);
        writer.WriteNumber("completion_tokens"u8, usage.Output);
        writer.WriteNumber("total_tokens"u8, prompt + usage.Output);
        writer.WriteStartObject("prompt_tokens_details"u8);
        writer.WriteNumber("cached_tokens"u8, usage.CacheRead);
        writer.WriteEndObject();
        writer.WriteNumber("cache_creation_input_tokens"u8, usage.CacheWrite);
        writer.WriteEndObject();
    }

    internal static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>Anthropic's usage: input tokens exclude the cache reads and writes, which it counts apart.</summary>
    internal readonly record struct Usage(long Input, long Output, long CacheRead, long CacheWrite)
    {
        public static Usage Read(JsonElement usage) => new(
            Number(usage, "input_tokens"),
            Number(usage, "output_tokens"),
            Number(usage, "cache_read_input_tokens"),
            Number(usage, "cache_creation_input_tokens"));

        /// <summary>A later report (message_delta) overrides the fields it carries.</summary>
        public Usage With(JsonElement usage) => new(
            Has(usage, "input_tokens") ? Number(usage, "input_tokens") : Input,
            Has(usage, "output_tokens") ? Number(usage, "output_tokens") : Output,
            Has(usage, "cache_read_input_tokens") ? Number(usage, "cache_read_input_tokens") : CacheRead,
            Has(usage, "cache_creation_input_tokens") ? Number(usage, "cache_creation_input_tokens") : CacheWrite);

        private static bool Has(JsonElement usage, string name) => usage.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number;

        private static long Number(JsonElement usage, string name) =>
            usage.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n : 0;
    }
}
