using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace CostConsole.Routing.Protocols.Embeddings;

/// <summary>Writes OpenAI's embeddings list: <c>{"object":"list","data":[{"object":"embedding","index","embedding"}],"model","usage"}</c>.</summary>
public static class EmbeddingsResponse
{
    /// <param name="model">The id of the model that embedded the inputs (what the client finds in <c>model</c>).</param>
    public static byte[] Write(IReadOnlyList<float[]> vectors, EmbeddingEncoding encoding, string model, long promptTokens)
    {
        var size = vectors.Count == 0 ? 0 : vectors[0].Length;
        var buffer = new ArrayBufferWriter<byte>(128 + (vectors.Count * size * (encoding == EmbeddingEncoding.Base64 ? 6 : 12)));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("object"u8, "list"u8);
            writer.WriteStartArray("data"u8);
            for (var i = 0; i < vectors.Count; i++)
            {
                writer.WriteStartObject();
                writer.WriteString("object"u8, "embedding"u8);
                writer.WriteNumber("index"u8, i);
                if (encoding == EmbeddingEncoding.Base64)
                {
                    writer.WriteBase64String("embedding"u8, MemoryMarshal.AsBytes(vectors[i].AsSpan()));
                }
                else
                {
                    writer.WriteStartArray("embedding"u8);
                    foreach (var value in vectors[i])
                    {
                        writer.WriteNumberValue(value);
                    }

                    writer.WriteEndArray();
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteString("model"u8, model);
            writer.WriteStartObject("usage"u8);
            writer.WriteNumber("prompt_tokens"u8, promptTokens);
            writer.WriteNumber("total_tokens"u8, promptTokens);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
