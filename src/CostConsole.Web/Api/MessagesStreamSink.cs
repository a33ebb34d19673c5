using CostConsole.Routing.Decisions;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Protocols.Messages;

namespace CostConsole.Web.Api;

/// <summary>Writes a routed stream to the HTTP response as Anthropic Messages server-sent events.</summary>
internal sealed class MessagesStreamSink(HttpResponse response, MessagesStream stream) : IChatStreamSink
{
    public bool HasStarted { get; private set; }

    public async ValueTask BeginAsync(RoutingDecision decision, RoutedModel model, CancellationToken cancellationToken)
    {
        HasStarted = true;
        await ServerSentEvents.StartAsync(response, decision, model, cancellationToken);
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
            ServerSentEvents.WriteNamed(writer, item.Name, item.Data.Span);
        }

        await writer.FlushAsync(cancellationToken);
    }
}
