using System.Buffers;
using System.Text.Json;
using CostConsole.Routing.Pricing;

namespace CostConsole.Routing.Caching;

/// <summary>A stored answer in the shapes of chat completions: a whole response, or the chunks of a stream.</summary>
public static class CachedAnswer
{
    /// <summary>A <c>chat.completion</c> object with the stored answer as its one choice.</summary>
    public static BinaryData Completion(CacheEntry entry, string id, string modelId, DateTimeOffset created, TokenUsage usage)
    {
        var buffer = new ArrayBufferWriter<byte>(entry.Answer.Length + 512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Start(writer, id, "chat.completion", modelId, created);
            writer.WriteStartArray("choices");
            writer.WriteStartObject();
            writer.WriteNumber("index", 0);
            writer.WriteStartObject("message");
            writer.WriteString("role", "assistant");
            writer.WriteString("content", entry.Answer);
            writer.WriteNull("refusal");
            writer.WriteEndObject();
            writer.WriteNull("logprobs");
            writer.WriteString("finish_reason", entry.FinishReason);
            writer.WriteEndObject();
            writer.WriteEndArray();
            WriteUsage(writer, usage);
            writer.WriteEndObject();
        }

        return new BinaryData(buffer.WrittenMemory);
    }

    /// <summary>
    /// The <c>chat.completion.chunk</c> payloads of a stream: the role, the answer, the finish reason, and the usage
    /// chunk when the client asked for it (<c>stream_options.include_usage</c>).
    /// </summary>
    public static IReadOnlyList<byte[]> Chunks(CacheEntry entry, string id, string modelId, DateTimeOffset created, TokenUsage usage, bool includeUsage)
    {
        var chunks = new List<byte[]>(4)
        {
            Chunk(id, modelId, created, writer => writer.WriteString("role", "assistant"), null, includeUsage),
            Chunk(id, modelId, created, writer => writer.WriteString("content", entry.Answer), null, includeUsage),
            Chunk(id, modelId, created, _ => { }, entry.FinishReason, includeUsage),
        };
        if (includeUsage)
        {
            var buffer = new ArrayBufferWriter<byte>(256);
            using (var writer = new Utf8JsonWriter(buffer))
            {
                Start(writer, id, "chat.completion.chunk", modelId, created);
                writer.WriteStartArray("choices");
                writer.WriteEndArray();
                WriteUsage(writer, usage);
                writer.WriteEndObject();
            }

            chunks.Add(buffer.WrittenSpan.ToArray());
        }

        return chunks;
    }

    private static byte[] Chunk(string id, string modelId, DateTimeOffset created, Action<Utf8JsonWriter> delta, string? finishReason, bool includeUsage)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Start(writer, id, "chat.completion.chunk", modelId, created);
            writer.WriteStartArray("choices");
            writer.WriteStartObject();
            writer.WriteNumber("index", 0);
            writer.WriteStartObject("delta");
            delta(writer);
            writer.WriteEndObject();
            writer.WriteNull("logprobs");
            if (finishReason is null)
            {
                writer.WriteNull("finish_reason");
            }
            else
            {
                writer.WriteString("finish_reason", finishReason);
            }

            writer.WriteEndObject();
            writer.WriteEndArray();
            if (includeUsage)
            {
                // As OpenAI does: every chunk but the last carries usage: null.
                writer.WriteNull("usage");
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void Start(Utf8JsonWriter writer, string id, string type, string modelId, DateTimeOffset created)
    {
        writer.WriteStartObject();
        writer.WriteString("id", id);
        writer.WriteString("object", type);
        writer.WriteNumber("created", created.ToUnixTimeSeconds());
        writer.WriteString("model", modelId);
    }

    private static void WriteUsage(Utf8JsonWriter writer, TokenUsage usage)
    {
        writer.WriteStartObject("usage");
        writer.WriteNumber("prompt_tokens", usage.PromptTokens);
        writer.WriteNumber("completion_tokens", usage.CompletionTokens);
        writer.WriteNumber("total_tokens", usage.TotalTokens);
        writer.WriteEndObject();
    }
}
