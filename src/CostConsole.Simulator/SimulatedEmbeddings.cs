using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using CostConsole.Routing.Tokens;

namespace CostConsole.Simulator;

/// <summary>
/// <c>POST /sim/v1/embeddings</c>: deterministic embeddings for any model name. A text's words and the character
/// trigrams of each word are hashed and projected onto <see cref="Dimensions"/> fixed random ±1 directions, then
/// L2-normalised, so texts sharing words and word parts point the same way, as they would with a real model.
/// </summary>
internal static class SimulatedEmbeddings
{
    public const int Dimensions = 256;

    /// <summary>OpenAI's limit on inputs in one embeddings request.</summary>
    public const int MaxInputs = 2048;

    public static async Task<IResult> CreateEmbeddings(HttpContext httpContext, ITokenCounter tokenCounter)
    {
        var (document, readError) = await SimulatorApi.ReadJsonAsync(httpContext);
        if (document is null)
        {
            return readError!;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(model.GetString()))
            {
                return SimulatorError.InvalidRequest("You must provide a model parameter.", "model");
            }

            if (!TryReadInputs(root, out var inputs))
            {
                return SimulatorError.InvalidRequest("'input' must be a non-empty string or a non-empty array of non-empty strings.", "input");
            }

            if (inputs.Count > MaxInputs)
            {
                return SimulatorError.InvalidRequest($"'input' has {inputs.Count:N0} items; at most {MaxInputs:N0} are allowed per request.", "input");
            }

            var format = root.TryGetProperty("encoding_format", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : "float";
            if (format is not ("float" or "base64"))
            {
                return SimulatorError.InvalidRequest($"'encoding_format' must be \"float\" or \"base64\", not \"{format}\".", "encoding_format");
            }

            // As OpenAI's text-embedding-3 models do: the first 'dimensions' values, scaled back to unit length.
            var dimensions = Dimensions;
            if (root.TryGetProperty("dimensions", out var d) && d.ValueKind != JsonValueKind.Null
                && (!d.TryGetInt32(out dimensions) || dimensions is < 1 or > Dimensions))
            {
                return SimulatorError.InvalidRequest($"'dimensions' must be a whole number from 1 to {Dimensions}.", "dimensions");
            }

            long tokens = 0;
            foreach (var input in inputs)
            {
                tokens += tokenCounter.CountTokens(input, httpContext.RequestAborted);
            }

            var buffer = new ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WriteString("object", "list");
                writer.WriteStartArray("data");
                for (var i = 0; i < inputs.Count; i++)
                {
                    var vector = Shorten(Embed(inputs[i]), dimensions);
                    writer.WriteStartObject();
                    writer.WriteString("object", "embedding");
                    writer.WriteNumber("index", i);
                    if (format == "base64")
                    {
                        writer.WriteBase64String("embedding", MemoryMarshal.AsBytes(vector.AsSpan()));
                    }
                    else
                    {
                        writer.WriteStartArray("embedding");
                        foreach (var value in vector)
                        {
                            writer.WriteNumberValue(value);
                        }

                        writer.WriteEndArray();
                    }

                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteString("model", model.GetString());
                writer.WriteStartObject("usage");
                writer.WriteNumber("prompt_tokens", tokens);
                writer.WriteNumber("total_tokens", tokens);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            return TypedResults.Bytes(buffer.WrittenMemory.ToArray(), "application/json");
        }
    }

    /// <summary>The simulated embedding of <paramref name="text"/>: unit length, the same in every process.</summary>
    public static float[] Embed(string text)
    {
        var counts = new Dictionary<ulong, int>();
        foreach (var word in Words(text.ToLowerInvariant()))
        {
            Add(counts, "w:" + word);
            var framed = "<" + word + ">";
            for (var s = 0; s + 3 <= framed.Length; s++)
            {
                Add(counts, "g:" + framed.Substring(s, 3));
            }
        }

        var vector = new float[Dimensions];
        foreach (var (feature, count) in counts)
        {
            var weight = 1 + MathF.Log(count);
            var state = feature;
            for (var d = 0; d < Dimensions; d += 64)
            {
                var bits = SplitMix(ref state);
                for (var b = 0; b < 64; b++)
                {
                    vector[d + b] += ((bits >> b) & 1) == 0 ? weight : -weight;
                }
            }
        }

        var norm = MathF.Sqrt(vector.Sum(v => v * v));
        if (norm > 0)
        {
            for (var d = 0; d < Dimensions; d++)
            {
                vector[d] /= norm;
            }
        }

        return vector;
    }

    private static float[] Shorten(float[] vector, int dimensions)
    {
        if (dimensions >= vector.Length)
        {
            return vector;
        }

        var shortened = vector[..dimensions];
        var norm = MathF.Sqrt(shortened.Sum(v => v * v));
        if (norm > 0)
        {
            for (var i = 0; i < shortened.Length; i++)
            {
                shortened[i] /= norm;
            }
        }

        return shortened;
    }

    private static IEnumerable<string> Words(string text)
    {
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inWord = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (inWord && start < 0)
            {
                start = i;
            }
            else if (!inWord && start >= 0)
            {
                yield return text[start..i];
                start = -1;
            }
        }
    }

    private static void Add(Dictionary<ulong, int> counts, string feature)
    {
        var hash = new StableHash();
        hash.Add(feature);
        counts[hash.Value] = counts.GetValueOrDefault(hash.Value) + 1;
    }

    private static ulong SplitMix(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    private static bool TryReadInputs(JsonElement root, out List<string> inputs)
    {
        inputs = [];
        if (!root.TryGetProperty("input", out var input))
        {
            return false;
        }

        if (input.ValueKind == JsonValueKind.String)
        {
            inputs.Add(input.GetString()!);
        }
        else if (input.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in input.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String)
                {
                    return false;
                }

                inputs.Add(item.GetString()!);
            }
        }

        return inputs.Count > 0 && inputs.All(i => i.Length > 0);
    }
}
