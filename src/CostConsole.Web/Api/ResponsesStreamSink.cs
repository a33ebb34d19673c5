using CostConsole.Routing.Decisions;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Pricing;
using CostConsole.Routing.Protocols.Responses;

namespace CostConsole.Web.Api;

/// <summary>
/// Writes a routed stream to the HTTP response as the Responses API's server-sent events (<c>event:</c> and
/// <c>data:</c>). The closing <c>response.completed</c> waits for <see cref="CompleteAsync"/>, so it carries the usage
/// the ledger recorded.
/// </summary>
internal sealed class ResponsesStreamSink(HttpResponse response, ResponsesEventStream events) : IChatStreamSink
{
    public bool HasStarted { get; private set; }

    /// <summary>True once the pipeline has recorded the answer and ended the stream.</summary>
    public bool Ended { get; private set; }

    public async ValueTask BeginAsync(RoutingDecision decision, RoutedModel model, CancellationToken cancellationToken)
    {
        HasStarted = true;
        await ServerSentEvents.StartAsync(response, decision, model, cancellationToken);
        await SendAsync(events.Begin(model.Model.Id), cancellationToken);
    }

    public ValueTask WriteAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        SendAsync(events.Translate(payload), cancellationToken);

    public ValueTask EndAsync(CancellationToken cancellationToken)
    {
        Ended = true;
        return ValueTask.CompletedTask;
    }

    public ValueTask FailAsync(ChatError error, CancellationToken cancellationToken) => SendAsync(events.Fail(error), cancellationToken);

    /// <summary>
    /// Closes the open output items and sends <c>response.completed</c> with the recorded usage; a stored response is
    /// handed to <paramref name="store"/> first, so it can be continued as soon as the client has it.
    /// </summary>
    public async ValueTask CompleteAsync(TokenUsage usage, Func<byte[], Task>? store, CancellationToken cancellationToken)
    {
        var batch = events.Complete(usage);
        if (store is not null && events.Final is { } final)
        {
            await store(final);
        }

        await SendAsync(batch, cancellationToken);
    }

    private async ValueTask SendAsync(IReadOnlyList<ResponsesEvent> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return;
        }

        var writer = response.BodyWriter;
        foreach (var item in batch)
        {
            ServerSentEvents.WriteNamed(writer, item.Type, item.Data);
        }

        await writer.FlushAsync(cancellationToken);
    }
}
