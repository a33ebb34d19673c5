using System.Buffers;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Pipeline;

namespace CostConsole.Web.Api;

/// <summary>Writes a routed stream to the HTTP response as server-sent events.</summary>
internal sealed class HttpStreamSink(HttpResponse response) : IChatStreamSink
{
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    public bool HasStarted { get; private set; }

    public async ValueTask BeginAsync(RoutingDecision decision, RoutedModel model, CancellationToken cancellationToken)
    {
        HasStarted = true;
        await ServerSentEvents.StartAsync(response, decision, model, cancellationToken);
    }

    public void Cached(CostConsole.Routing.Caching.CacheLookup? lookup) => Caching.CacheExtensions.SetCacheHeaders(response, lookup);

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var writer = response.BodyWriter;
        writer.Write(DataPrefix);
        writer.Write(payload.Span);
        writer.Write(EventEnd);
        await writer.FlushAsync(cancellationToken);
    }

    public async ValueTask EndAsync(CancellationToken cancellationToken)
    {
        response.BodyWriter.Write(Done);
        await response.BodyWriter.FlushAsync(cancellationToken);
    }

    public async ValueTask FailAsync(ChatError error, CancellationToken cancellationToken)
    {
        var writer = response.BodyWriter;
        writer.Write(DataPrefix);
        writer.Write(ApiErrors.Serialize(error));
        writer.Write(EventEnd);
        await writer.FlushAsync(cancellationToken);
    }
}
