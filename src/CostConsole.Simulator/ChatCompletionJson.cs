using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace CostConsole.Simulator;

/// <summary>Writes the chat completion wire format byte for byte as OpenAI does, without intermediate objects.</summary>
internal static class ChatCompletionJson
{
    // Relaxed escaping keeps quotes and apostrophes readable in answers, like the real API.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>For values built as <see cref="System.Text.Json.Nodes.JsonNode"/>s: compact, with the same relaxed escaping.</summary>
    public static readonly JsonSerializerOptions NodeOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string AnswerObject(string answer, double confidence)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("answer", answer);
            writer.WriteNumber("confidence", confidence);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>A complete <c>chat.completion</c> object.</summary>
    public static void WriteCompletion(IBufferWriter<byte> output, SimulatedCompletion completion, ResponseIdentity identity, bool logprobs)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        writer.WriteStartObject();
        WriteHeader(writer, identity, completion.Model, "chat.completion");
        writer.WriteStartArray("choices");
        writer.WriteStartObject();
        writer.WriteNumber("index", 0);
        writer.WriteStartObject("message");
        writer.WriteString("role", "assistant");
        if (completion.ToolCall is { } call)
        {
            writer.WriteNull("content");
            writer.WriteNull("refusal");
            writer.WriteStartArray("tool_calls");
            writer.WriteStartObject();
            writer.WriteString("id", call.Id);
            writer.WriteString("type", "function");
            writer.WriteStartObject("function");
            writer.WriteString("name", call.Name);
            writer.WriteString("arguments", call.Arguments);
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndArray();
        }
        else
        {
            writer.WriteString("content", completion.Content);
            writer.WriteNull("refusal");
        }

        writer.WriteStartArray("annotations");
        writer.WriteEndArray();
        writer.WriteEndObject();
        // Log probabilities are of content tokens; a function call has none.
        WriteLogprobs(writer, logprobs && completion.ToolCall is null ? completion.Tokens : null, 0, completion.Tokens.Count);
        writer.WriteString("finish_reason", completion.FinishReason);
        WriteStopReason(writer, completion);
        writer.WriteEndObject();
        writer.WriteEndArray();
        WriteUsage(writer, completion);
        writer.WriteString("service_tier", "default");
        writer.WriteString("system_fingerprint", identity.SystemFingerprint);
        writer.WriteEndObject();
    }

    /// <summary>The first <c>chat.completion.chunk</c> of a stream: only the assistant role.</summary>
    public static void WriteRoleChunk(IBufferWriter<byte> output, SimulatedCompletion completion, ResponseIdentity identity, bool usagePlaceholder)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        WriteChunkStart(writer, completion, identity);
        writer.WriteString("role", "assistant");
        writer.WriteString("content", "");
        writer.WriteNull("refusal");
        writer.WriteEndObject();
        writer.WriteNull("logprobs");
        writer.WriteNull("finish_reason");
        WriteChunkEnd(writer, usagePlaceholder);
    }

    /// <summary>
    /// The first chunk of a streamed function call: the role and the call's index, id and name, with empty arguments.
    /// </summary>
    public static void WriteToolCallStartChunk(IBufferWriter<byte> output, SimulatedCompletion completion, ResponseIdentity identity, bool usagePlaceholder)
    {
        var call = completion.ToolCall!;
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        WriteChunkStart(writer, completion, identity);
        writer.WriteString("role", "assistant");
        writer.WriteNull("content");
        writer.WriteStartArray("tool_calls");
        writer.WriteStartObject();
        writer.WriteNumber("index", 0);
        writer.WriteString("id", call.Id);
        writer.WriteString("type", "function");
        writer.WriteStartObject("function");
        writer.WriteString("name", call.Name);
        writer.WriteString("arguments", "");
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteNull("refusal");
        writer.WriteEndObject();
        writer.WriteNull("logprobs");
        writer.WriteNull("finish_reason");
        WriteChunkEnd(writer, usagePlaceholder);
    }

    /// <summary>A chunk carrying the argument tokens [start, start + count) of the call at index 0.</summary>
    public static void WriteToolArgumentsChunk(
        IBufferWriter<byte> output, SimulatedCompletion completion, ResponseIdentity identity, int start, int count, bool usagePlaceholder)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        WriteChunkStart(writer, completion, identity);
        writer.WriteStartArray("tool_calls");
        writer.WriteStartObject();
        writer.WriteNumber("index", 0);
        writer.WriteStartObject("function");
        writer.WriteString("arguments", Concat(completion, start, count));
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteNull("logprobs");
        writer.WriteNull("finish_reason");
        WriteChunkEnd(writer, usagePlaceholder);
    }

    /// <summary>The chunk that ends a choice: an empty delta and the finish reason, as OpenAI ends a function call.</summary>
    public static void WriteFinishChunk(IBufferWriter<byte> output, SimulatedCompletion completion, ResponseIdentity identity, bool usagePlaceholder)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        WriteChunkStart(writer, completion, identity);
        writer.WriteEndObject();
        writer.WriteNull("logprobs");
        writer.WriteString("finish_reason", completion.FinishReason);
        WriteStopReason(writer, completion);
        WriteChunkEnd(writer, usagePlaceholder);
    }

    private static void WriteStopReason(Utf8JsonWriter writer, SimulatedCompletion completion)
    {
        if (completion.StopSequence is { } sequence)
        {
            writer.WriteString("stop_reason", sequence);
        }
    }

    private static string Concat(SimulatedCompletion completion, int start, int count)
    {
        var text = new StringBuilder();
        for (var i = start; i < start + count; i++)
        {
            text.Append(completion.Tokens[i].Text);
        }

        return text.ToString();
    }

    /// <summary>A <c>chat.completion.chunk</c> carrying tokens [start, start + count); the last one also carries the finish reason.</summary>
    public static void WriteContentChunk(
        IBufferWriter<byte> output,
        SimulatedCompletion completion,
        ResponseIdentity identity,
        int start,
        int count,
        bool logprobs,
        string? finishReason,
        bool usagePlaceholder)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        WriteChunkStart(writer, completion, identity);
        var content = new StringBuilder();
        for (var i = start; i < start + count; i++)
        {
            content.Append(completion.Tokens[i].Text);
        }

        writer.WriteString("content", content.ToString());
        writer.WriteEndObject();
        WriteLogprobs(writer, logprobs ? completion.Tokens : null, start, count);
        if (finishReason is null)
        {
            writer.WriteNull("finish_reason");
        }
        else
        {
            writer.WriteString("finish_reason", finishReason);
            WriteStopReason(writer, completion);
        }

        WriteChunkEnd(writer, usagePlaceholder);
    }

    /// <summary>The closing chunk of a stream with include_usage: no choices, only usage.</summary>
    public static void WriteUsageChunk(IBufferWriter<byte> output, SimulatedCompletion completion, ResponseIdentity identity)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        writer.WriteStartObject();
        WriteHeader(writer, identity, completion.Model, "chat.completion.chunk");
        writer.WriteString("service_tier", "default");
        writer.WriteString("system_fingerprint", identity.SystemFingerprint);
        writer.WriteStartArray("choices");
        writer.WriteEndArray();
        WriteUsage(writer, completion);
        writer.WriteEndObject();
    }

    /// <summary>Opens a chunk up to and including its delta object.</summary>
    private static void WriteChunkStart(Utf8JsonWriter writer, SimulatedCompletion completion, ResponseIdentity identity)
    {
        writer.WriteStartObject();
        WriteHeader(writer, identity, completion.Model, "chat.completion.chunk");
        writer.WriteString("service_tier", "default");
        writer.WriteString("system_fingerprint", identity.SystemFingerprint);
        writer.WriteStartArray("choices");
        writer.WriteStartObject();
        writer.WriteNumber("index", 0);
        writer.WriteStartObject("delta");
    }

    /// <summary>Closes the choice and the chunk opened by <see cref="WriteChunkStart"/>.</summary>
    private static void WriteChunkEnd(Utf8JsonWriter writer, bool usagePlaceholder)
    {
        writer.WriteEndObject();
        writer.WriteEndArray();
        if (usagePlaceholder)
        {
            // With include_usage OpenAI sends "usage": null on every chunk but the last.
            writer.WriteNull("usage");
        }

        writer.WriteEndObject();
    }

    private static void WriteHeader(Utf8JsonWriter writer, ResponseIdentity identity, string model, string objectType)
    {
        writer.WriteString("id", identity.Id);
        writer.WriteString("object", objectType);
        writer.WriteNumber("created", identity.Created);
        writer.WriteString("model", model);
    }

    private static void WriteLogprobs(Utf8JsonWriter writer, IReadOnlyList<SimulatedToken>? tokens, int start, int count)
    {
        if (tokens is null)
        {
            writer.WriteNull("logprobs");
            return;
        }

        writer.WriteStartObject("logprobs");
        writer.WriteStartArray("content");
        for (var i = start; i < start + count; i++)
        {
            var token = tokens[i];
            writer.WriteStartObject();
            WriteTokenLogprob(writer, token.Text, token.Logprob);
            writer.WriteStartArray("top_logprobs");
            foreach (var alternative in token.TopLogprobs)
            {
                writer.WriteStartObject();
                WriteTokenLogprob(writer, alternative.Token, alternative.Logprob);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteNull("refusal");
        writer.WriteEndObject();
    }

    private static void WriteTokenLogprob(Utf8JsonWriter writer, string token, double logprob)
    {
        writer.WriteString("token", token);
        writer.WriteNumber("logprob", Math.Round(logprob, 6));
        writer.WriteStartArray("bytes");
        foreach (var b in Encoding.UTF8.GetBytes(token))
        {
            writer.WriteNumberValue(b);
        }

        writer.WriteEndArray();
    }

    private static void WriteUsage(Utf8JsonWriter writer, SimulatedCompletion completion)
    {
        writer.WriteStartObject("usage");
        writer.WriteNumber("prompt_tokens", completion.PromptTokens);
        writer.WriteNumber("completion_tokens", completion.CompletionTokens);
        writer.WriteNumber("total_tokens", completion.PromptTokens + completion.CompletionTokens);
        writer.WriteStartObject("prompt_tokens_details");
        writer.WriteNumber("cached_tokens", completion.CachedPromptTokens);
        writer.WriteNumber("audio_tokens", 0);
        writer.WriteEndObject();
        writer.WriteStartObject("completion_tokens_details");
        writer.WriteNumber("reasoning_tokens", 0);
        writer.WriteNumber("audio_tokens", 0);
        writer.WriteNumber("accepted_prediction_tokens", 0);
        writer.WriteNumber("rejected_prediction_tokens", 0);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}

/// <summary>The id, timestamp and fingerprint shared by every chunk of one response.</summary>
internal sealed record ResponseIdentity(string Id, long Created, string SystemFingerprint);
