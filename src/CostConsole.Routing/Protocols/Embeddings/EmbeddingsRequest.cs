using System.Buffers;
using System.Text.Json;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;

namespace CostConsole.Routing.Protocols.Embeddings;

/// <summary>How the client wants the vectors written: JSON numbers, or base64 of little-endian float32 (the OpenAI SDKs' default).</summary>
public enum EmbeddingEncoding
{
    Float,
    Base64,
}

/// <summary>
/// An OpenAI embeddings request, <c>POST /v1/embeddings</c>, parsed once. <see cref="Chat"/> is the same inputs as the
/// router's request (one user turn per input), so budgets, privacy scanning, prompt storage and the ledger treat them
/// as they treat any prompt.
/// </summary>
public sealed class EmbeddingsRequest : IDisposable
{
    /// <summary>OpenAI's limit on inputs in one embeddings request.</summary>
    public const int MaxInputs = 2048;

    public required string Model { get; init; }

    public required IReadOnlyList<string> Inputs { get; init; }

    public required EmbeddingEncoding Encoding { get; init; }

    /// <summary>The client's <c>dimensions</c>, passed through to the model; null for the model's own size.</summary>
    public required int? Dimensions { get; init; }

    public required ChatRequest Chat { get; init; }

    public void Dispose() => Chat.Dispose();
}

public static class EmbeddingsRequestParser
{
    /// <exception cref="ChatRequestException">The body is not an embeddings request this router can serve; nothing has happened yet.</exception>
    public static EmbeddingsRequest Parse(ReadOnlyMemory<byte> body, string? tagsHeader, ITokenCounter tokens)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            throw new ChatRequestException("invalid_json", $"The request body is not valid JSON: {ex.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ChatRequestException("invalid_json", "The request body must be a JSON object.");
            }

            if (!root.TryGetProperty("model", out var modelElement) || modelElement.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(modelElement.GetString()))
            {
                throw new ChatRequestException("invalid_model", "'model' must be a non-empty string: \"auto\", a tier or an embeddings model id.", "model");
            }

            var model = modelElement.GetString()!;
            var inputs = ReadInputs(root);
            var encoding = ReadEncoding(root);
            var dimensions = ReadDimensions(root);
            string? user = null;
            if (root.TryGetProperty("user", out var userElement) && userElement.ValueKind != JsonValueKind.Null)
            {
                user = userElement.ValueKind == JsonValueKind.String
                    ? userElement.GetString()
                    : throw new ChatRequestException("invalid_type", "'user' must be a string.", "user");
            }

            return new EmbeddingsRequest
            {
                Model = model,
                Inputs = inputs,
                Encoding = encoding,
                Dimensions = dimensions,
                Chat = ChatRequestParser.Parse(RouterBody(model, inputs, user), tagsHeader, tokens),
            };
        }
    }

    private static List<string> ReadInputs(JsonElement root)
    {
        if (!root.TryGetProperty("input", out var input) || input.ValueKind == JsonValueKind.Null)
        {
            throw new ChatRequestException("missing_input", "'input' is required: a string, or an array of strings, to embed.", "input");
        }

        var inputs = new List<string>();
        if (input.ValueKind == JsonValueKind.String)
        {
            inputs.Add(input.GetString()!);
        }
        else if (input.ValueKind == JsonValueKind.Array)
        {
            var index = 0;
            foreach (var item in input.EnumerateArray())
            {
                if (item.ValueKind is JsonValueKind.Number or JsonValueKind.Array)
                {
                    // Token ids cannot be priced, scanned for personal data or stored as text, and mean nothing to another model's tokenizer.
                    throw new ChatRequestException(
                        "unsupported_input",
                        "'input' as token ids is not supported here: send the text itself, as a string or an array of strings.",
                        "input");
                }

                if (item.ValueKind != JsonValueKind.String)
                {
                    throw new ChatRequestException("invalid_input", $"input[{index}] must be a string.", $"input[{index}]");
                }

                inputs.Add(item.GetString()!);
                index++;
            }
        }
        else
        {
            throw new ChatRequestException("invalid_input", "'input' must be a string or an array of strings.", "input");
        }

        if (inputs.Count == 0)
        {
            throw new ChatRequestException("empty_input", "'input' is an empty array: send at least one string to embed.", "input");
        }

        if (inputs.Count > EmbeddingsRequest.MaxInputs)
        {
            throw new ChatRequestException("too_many_inputs", $"'input' has {inputs.Count:N0} items; at most {EmbeddingsRequest.MaxInputs:N0} are allowed per request. Split it into several requests.", "input");
        }

        var empty = inputs.FindIndex(string.IsNullOrEmpty);
        if (empty >= 0)
        {
            throw new ChatRequestException(
                "empty_input",
                inputs.Count == 1 ? "'input' is an empty string: send the text to embed." : $"input[{empty}] is an empty string: every input must have text to embed.",
                inputs.Count == 1 ? "input" : $"input[{empty}]");
        }

        return inputs;
    }

    private static EmbeddingEncoding ReadEncoding(JsonElement root)
    {
        if (!root.TryGetProperty("encoding_format", out var format) || format.ValueKind == JsonValueKind.Null)
        {
            return EmbeddingEncoding.Float;
        }

        return format.ValueKind == JsonValueKind.String && format.GetString() is "float" or "base64"
            ? format.GetString() == "base64" ? EmbeddingEncoding.Base64 : EmbeddingEncoding.Float
            : throw new ChatRequestException("invalid_encoding_format", "'encoding_format' must be \"float\" or \"base64\".", "encoding_format");
    }

    private static int? ReadDimensions(JsonElement root)
    {
        if (!root.TryGetProperty("dimensions", out var dimensions) || dimensions.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return dimensions.ValueKind == JsonValueKind.Number && dimensions.TryGetInt32(out var value) && value > 0
            ? value
            : throw new ChatRequestException("invalid_dimensions", "'dimensions' must be a positive whole number.", "dimensions");
    }

    /// <summary>The inputs as the router's request: one user turn each.</summary>
    private static ReadOnlyMemory<byte> RouterBody(string model, List<string> inputs, string? user)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + inputs.Sum(i => i.Length) * 2);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("model"u8, model);
            writer.WriteStartArray("messages"u8);
            foreach (var input in inputs)
            {
                writer.WriteStartObject();
                writer.WriteString("role"u8, "user"u8);
                writer.WriteString("content"u8, input);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            if (user is not null)
            {
                writer.WriteString("user"u8, user);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }
}
