using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CostConsole.Routing.Learning;

/// <summary>
/// A trained router: for each tier, a logistic regression over <see cref="PromptFeatures"/> giving the probability
/// that the tier's answer is acceptable. Data, not code: versioned, serialised as JSON with the hashed weights as
/// base64 half-precision floats (2^16 buckets take 175 kB of text per tier), and compiled into a routing snapshot.
/// </summary>
public sealed record TrainedRouterModel
{
    /// <summary>The format this code reads and writes; a model in another format is refused when compiled.</summary>
    public const int CurrentFormat = 1;

    public const int DefaultHashBits = 16;

    public int Format { get; init; } = CurrentFormat;

    public required string Name { get; init; }

    public int Version { get; init; } = 1;

    public DateTimeOffset TrainedAt { get; init; }

    /// <summary>log2 of the hashed feature space.</summary>
    public int HashBits { get; init; } = DefaultHashBits;

    /// <summary>One head per tier, from the cheapest to the most capable.</summary>
    public required IReadOnlyList<TierHead> Tiers { get; init; }

    /// <summary>What the model was trained on, in words and counts; shown beside it, never read when routing.</summary>
    public TrainingSummary? Summary { get; init; }

    /// <summary>Held-out metrics recorded at training time (opaque JSON to the engine).</summary>
    public JsonElement? Metrics { get; init; }

    /// <summary>How rule sets name the model: "name@version".</summary>
    public string Reference => $"{Name}@{Version}";

    public string ToJson() => JsonSerializer.Serialize(this, SerializerOptions);

    /// <exception cref="JsonException">The text is not a model.</exception>
    public static TrainedRouterModel FromJson(string json) =>
        JsonSerializer.Deserialize<TrainedRouterModel>(json, SerializerOptions) ?? throw new JsonException("The model file is empty.");

    public static readonly JsonSerializerOptions SerializerOptions = new(JsonSerializerDefaults.Web) { WriteIndented = false };
}

/// <summary>
/// One tier's head. <see cref="Constant"/> set means the tier was acceptable (or not) for every training example,
/// so no weights are stored and the probability is that constant.
/// </summary>
public sealed record TierHead
{
    public required string Tier { get; init; }

    public double? Constant { get; init; }

    public float Bias { get; init; }

    /// <summary>Weights of the structure features, in <see cref="PromptFeatures.StructureNames"/> order.</summary>
    public float[] Structure { get; init; } = [];

    /// <summary>Weights of the hashed features (2^HashBits of them), or empty for a constant head.</summary>
    [JsonConverter(typeof(HalfArrayConverter))]
    public float[] Hashed { get; init; } = [];
}

public sealed record TrainingSummary
{
    public string Source { get; init; } = "";

    public int Examples { get; init; }

    /// <summary>Examples per cheapest acceptable tier ("none" when no tier was acceptable).</summary>
    public IReadOnlyDictionary<string, int> CheapestAcceptable { get; init; } = new Dictionary<string, int>();

    public string Learner { get; init; } = "";
}

/// <summary>Writes float weights as base64 half-precision, little-endian: a third of the size of decimal text.</summary>
internal sealed class HalfArrayConverter : JsonConverter<float[]>
{
    public override float[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            var list = new List<float>();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                list.Add(reader.GetSingle());
            }

            return [.. list];
        }

        var bytes = reader.GetBytesFromBase64();
        if (bytes.Length % 2 != 0)
        {
            throw new JsonException("Hashed weights must be whole half-precision floats.");
        }

        var result = new float[bytes.Length / 2];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(i * 2));
        }

        return result;
    }

    public override void Write(Utf8JsonWriter writer, float[] value, JsonSerializerOptions options)
    {
        var bytes = new byte[value.Length * 2];
        for (var i = 0; i < value.Length; i++)
        {
            BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(i * 2), (Half)value[i]);
        }

        writer.WriteBase64StringValue(bytes);
    }
}
