using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using CostConsole.Routing.Decisions;

namespace CostConsole.Web.Api;

/// <summary>What every streamed answer shares, whatever API the client speaks: the response's start, and named events.</summary>
internal static class ServerSentEvents
{
    private static readonly byte[] EventPrefix = "event: "u8.ToArray();
    private static readonly byte[] DataPrefix = "\ndata: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();

    /// <summary>Sends 200, the event-stream headers (no caching, no proxy buffering) and the routing headers.</summary>
    public static async Task StartAsync(HttpResponse response, RoutingDecision decision, RoutedModel model, CancellationToken cancellationToken)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        OpenAIApi.SetDecisionHeaders(response, decision, model);
        await response.StartAsync(cancellationToken);
    }

    /// <summary>Writes <c>event: name</c> and <c>data: …</c>, one <c>data:</c> line per line of <paramref name="data"/> (not flushed).</summary>
    public static void WriteNamed(PipeWriter writer, string name, ReadOnlySpan<byte> data)
    {
        writer.Write(EventPrefix);
        Encoding.UTF8.GetBytes(name, writer);
        foreach (var line in data.Split((byte)'\n'))
        {
            writer.Write(DataPrefix);
            writer.Write(data[line]);
        }

        writer.Write(EventEnd);
    }
}
