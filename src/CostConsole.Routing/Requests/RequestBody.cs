using System.Buffers;
using System.IO.Pipelines;

namespace CostConsole.Routing.Requests;

/// <summary>Reads a request body whole, within a limit, from whatever host serves it.</summary>
public static class RequestBody
{
    /// <summary>Reads the whole body, or returns null when it is larger than <paramref name="limit"/> (declared or as sent).</summary>
    public static async Task<ReadOnlyMemory<byte>?> ReadAsync(PipeReader reader, long? contentLength, long limit, CancellationToken cancellationToken)
    {
        if (contentLength > limit)
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>((int)Math.Min(contentLength ?? 16 * 1024, limit) + 1);
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            foreach (var segment in result.Buffer)
            {
                if (buffer.WrittenCount + segment.Length > limit)
                {
                    reader.AdvanceTo(result.Buffer.End);
                    return null;
                }

                buffer.Write(segment.Span);
            }

            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return buffer.WrittenMemory;
            }
        }
    }
}
