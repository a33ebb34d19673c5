using System.Buffers;
using System.Text.Json;
using CostConsole.Routing.Catalogue;

namespace CostConsole.Routing.Providers.Passthrough;

/// <summary>
/// A client's request as it came, in an API some providers speak themselves: a provider that does receives this body
/// with only the routed model written in, and its answer goes back to the client as it came.
/// </summary>
/// <param name="Api">The API the client spoke.</param>
/// <param name="Body">The client's JSON body.</param>
/// <param name="AnthropicVersion">The client's <c>anthropic-version</c> header, passed on with a Messages request.</param>
public sealed record PassthroughRequest(NativeApis Api, ReadOnlyMemory<byte> Body, string? AnthropicVersion = null)
{
    /// <summary>The body with <c>model</c> set to <paramref name="model"/>, every other field as the client wrote it.</summary>
    public byte[] BodyFor(string model)
    {
        var buffer = new ArrayBufferWriter<byte>(Body.Length + model.Length + 16);
        using (var writer = new Utf8JsonWriter(buffer))
        using (var document = JsonDocument.Parse(Body))
        {
            writer.WriteStartObject();
            writer.WriteString("model"u8, model);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!property.NameEquals("model"u8))
                {
                    property.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
