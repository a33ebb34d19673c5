using System.Buffers;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Protocols.Messages;

namespace CostConsole.Web.Api;

/// <summary>Writes a routed stream to the HTTP response as Anthropic Messages server-sent events.</summary>
internal sealed class MessagesStreamSink(HttpResponse response, MessagesStream stream) : IChatStreamSink
{
    private static readonly byte[] EventPrefix = "event: "u8.ToArray();
    private static readonly byte[] DataPrefix = "\ndata: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();

    public bool HasStarted { get; private set; }

    public async ValueTask BeginAsync(RoutingDecision decision, RoutedModel model, CancellationToken cancellationToken)
    {
        HasStarted = true;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        OpenAIApi.SetDecisionHeaders(response, decision, model);
        await response.StartAsync(cancellationToken);
        await WriteAsync(stream.Start(model.Model.Id), cancellationToken);
    }

    public ValueTask WriteAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        WriteAsync(stream.Translate(payload.Span), cancellationToken);

    public ValueTask EndAsync(CancellationToken cancellationToken) => WriteAsync(stream.Finish(), cancellationToken);

    public ValueTask FailAsync(ChatError error, CancellationToken cancellationToken) => WriteAsync([MessagesErrors.StreamEvent(error)], cancellationToken);

    private async ValueTask WriteAsync(IReadOnlyList<MessagesStreamEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return;
        }

        var writer = response.BodyWriter;
        foreach (var item in events)
        {
            writer.Write(EventPrefix);
            writer.Write(System.Text.Encoding.ASCII.GetBytes(item.Name));
            writer.Write(DataPrefix);
            writer.Write(item.Data.Span);
            writer.Write(EventEnd);
        }

        await writer.FlushAsync(cancellationToken);
    }
}
