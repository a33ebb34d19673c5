using System.Text;
using System.Text.Json;
using CostConsole.Routing.Pricing;
using CostConsole.Routing.Providers.Passthrough;

namespace CostConsole.Routing.Providers;

/// <summary>What the router needs from a completion or a stream chunk, read without building an object model.</summary>
internal struct ResponseFacts
{
    public bool HasUsage;
    public TokenUsage Usage;
    public int ChoiceCount;
    public string? FinishReason;
    public string? Content;
    public bool HasToolCalls;
    public string? ErrorMessage;
}

internal static class ResponseInspector
{
    /// <summary>Reads usage, the first choice's content (message or delta), whether it calls tools, its finish reason, and any error message.</summary>
    public static ResponseFacts Inspect(ReadOnlySpan<byte> json) => Inspect(json, null);

    /// <summary>As <see cref="Inspect(ReadOnlySpan{byte})"/>, also adding the first choice's token logprobs to <paramref name="logprobs"/>.</summary>
    public static ResponseFacts Inspect(ReadOnlySpan<byte> json, List<double>? logprobs)
    {
        var facts = new ResponseFacts();
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 128 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return facts;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("usage"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        facts.HasUsage = true;
                        facts.Usage = ReadUsage(ref reader);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("choices"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartArray)
                    {
                        ReadChoices(ref reader, ref facts, logprobs);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    facts.ErrorMessage = ReadErrorMessage(ref reader);
                }
                else if (reader.ValueTextEquals(NativeReply.PropertyName))
                {
                    // The provider's own reply, carried last: everything the router reads is above it, so a large one is not read twice.
                    break;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            // A partial or foreign body: whatever was read stands.
        }

        return facts;
    }

    /// <summary>
    /// OpenAI's usage, plus the Anthropic cache fields LiteLLM passes through (<c>cache_read_input_tokens</c>,
    /// <c>cache_creation_input_tokens</c>), which it counts inside <c>prompt_tokens</c>.
    /// </summary>
    private static TokenUsage ReadUsage(ref Utf8JsonReader reader)
    {
        long prompt = 0, completion = 0, cached = 0, cacheRead = 0, cacheWrite = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("cache_read_input_tokens"u8))
            {
                reader.Read();
                cacheRead = ReadLong(ref reader);
            }
            else if (reader.ValueTextEquals("cache_creation_input_tokens"u8))
            {
                reader.Read();
                cacheWrite = ReadLong(ref reader);
            }
            else if (reader.ValueTextEquals("prompt_tokens"u8))
            {
                reader.Read();
                prompt = ReadLong(ref reader);
            }
            else if (reader.ValueTextEquals("completion_tokens"u8))
            {
                reader.Read();
                completion = ReadLong(ref reader);
            }
            else if (reader.ValueTextEquals("prompt_tokens_details"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var isCached = reader.ValueTextEquals("cached_tokens"u8);
                        reader.Read();
                        if (isCached)
                        {
                            cached = ReadLong(ref reader);
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }
                }
                else
                {
                    reader.Skip();
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        var reads = Math.Min(cached > 0 ? cached : cacheRead, prompt);
        return new TokenUsage(prompt, reads, completion) { CacheWriteTokens = Math.Min(cacheWrite, prompt - reads) };
    }

    private static long ReadLong(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value) && value > 0 ? value : 0;

    private static void ReadChoices(ref Utf8JsonReader reader, ref ResponseFacts facts, List<double>? logprobs)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            var first = facts.ChoiceCount == 0;
            facts.ChoiceCount++;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (first && (reader.ValueTextEquals("message"u8) || reader.ValueTextEquals("delta"u8)))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                        {
                            var isContent = reader.ValueTextEquals("content"u8);
                            var isToolCalls = reader.ValueTextEquals("tool_calls"u8) || reader.ValueTextEquals("function_call"u8);
                            reader.Read();
                            if (isContent && reader.TokenType == JsonTokenType.String)
                            {
                                facts.Content = reader.GetString();
                            }
                            else
                            {
                                // A function call answers instead of text (a stream sends it in pieces, each naming the call).
                                facts.HasToolCalls |= isToolCalls && reader.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject;
                                reader.Skip();
                            }
                        }
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (first && logprobs is not null && reader.ValueTextEquals("logprobs"u8))
                {
                    reader.Read();
                    ReadLogprobs(ref reader, logprobs);
                }
                else if (first && reader.ValueTextEquals("finish_reason"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        facts.FinishReason = reader.GetString();
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
    }

    /// <summary>Reads <c>{"content":[{"token":…,"logprob":…,"top_logprobs":[…]},…]}</c>, adding each token's logprob.</summary>
    private static void ReadLogprobs(ref Utf8JsonReader reader, List<double> logprobs)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isContent = reader.ValueTextEquals("content"u8);
            reader.Read();
            if (!isContent || reader.TokenType != JsonTokenType.StartArray)
            {
                reader.Skip();
                continue;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isLogprob = reader.ValueTextEquals("logprob"u8);
                    reader.Read();
                    if (isLogprob && reader.TokenType == JsonTokenType.Number)
                    {
                        logprobs.Add(reader.GetDouble());
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
        }
    }

    private static string? ReadErrorMessage(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString();
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return null;
        }

        string? message = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isMessage = reader.ValueTextEquals("message"u8);
            reader.Read();
            if (isMessage && reader.TokenType == JsonTokenType.String)
            {
                message = reader.GetString();
            }
            else
            {
                reader.Skip();
            }
        }

        return message;
    }

    public static string DescribeError(int status, ReadOnlySpan<byte> body)
    {
        var message = Inspect(body).ErrorMessage;
        if (message is null && body.Length > 0)
        {
            var text = Encoding.UTF8.GetString(body[..Math.Min(body.Length, 300)]);
            message = text.Trim();
        }

        return string.IsNullOrEmpty(message) ? $"HTTP {status}" : $"HTTP {status}: {message}";
    }
}
