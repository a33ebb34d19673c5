using System.Text.Json;
using CostConsole.Routing.Caching;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Providers.Passthrough;

namespace CostConsole.Web.Api;

/// <summary>
/// Streams a Responses or Messages answer either as the provider sent it (it speaks the client's API, so each event is
/// relayed verbatim) or through <paramref name="translated"/> (the answer came as chat completions). Which one is known
/// only from the first chunk, so the start is held until then; the routing headers are the same either way.
/// </summary>
internal sealed class PassthroughStreamSink(HttpResponse response, IChatStreamSink translated) : IChatStreamSink
{
    private RoutingDecision? _decision;
    private RoutedModel? _model;
    private bool _opened;
    private bool _providerFailed;

    public bool HasStarted { get; private set; }

    /// <summary>True when the provider's own events were relayed: the stream has already ended as its API ends it.</summary>
    public bool PassedThrough { get; private set; }

    public void Cached(CacheLookup? lookup) => translated.Cached(lookup);

    public ValueTask BeginAsync(RoutingDecision decision, RoutedModel model, CancellationToken cancellationToken)
    {
        HasStarted = true;
        (_decision, _model) = (decision, model);
        return ValueTask.CompletedTask;
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var native = NativeReply.TryGet(payload, out var @event);
        if (!_opened)
        {
            _opened = true;
            PassedThrough = native;
            if (native)
            {
                DroppedFieldHeaders.ClearForPassthrough(response);
                await ServerSentEvents.StartAsync(response, _decision!, _model!, cancellationToken);
            }
            else
            {
                await translated.BeginAsync(_decision!, _model!, cancellationToken);
            }
        }

        if (!PassedThrough)
        {
            await translated.WriteAsync(payload, cancellationToken);
            return;
        }

        // Chunks that only tell the router what an event said are not the client's.
        if (native)
        {
            var name = EventName(@event.Span);
            _providerFailed |= name is "error" or "response.failed";
            ServerSentEvents.WriteNamed(response.BodyWriter, name, @event.Span);
            await response.BodyWriter.FlushAsync(cancellationToken);
        }
    }

    public async ValueTask EndAsync(CancellationToken cancellationToken)
    {
        await OpenTranslatedAsync(cancellationToken);
        if (!PassedThrough)
        {
            await translated.EndAsync(cancellationToken);
        }
    }

    public async ValueTask FailAsync(ChatError error, CancellationToken cancellationToken)
    {
        // The provider's own error event has ended the stream as its API ends one; a second error would only confuse the client.
        if (PassedThrough && _providerFailed)
        {
            return;
        }

        await OpenTranslatedAsync(cancellationToken);
        await translated.FailAsync(error, cancellationToken);
    }

    private async ValueTask OpenTranslatedAsync(CancellationToken cancellationToken)
    {
        if (!_opened && _decision is not null)
        {
            _opened = true;
            await translated.BeginAsync(_decision, _model!, cancellationToken);
        }
    }

    /// <summary>Both APIs name each event by its payload's <c>type</c>; an event without one (or not JSON) is a plain <c>message</c>.</summary>
    private static string EventName(ReadOnlySpan<byte> @event)
    {
        var reader = new Utf8JsonReader(@event);
        try
        {
            if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isType = reader.ValueTextEquals("type"u8);
                    reader.Read();
                    if (isType && reader.TokenType == JsonTokenType.String)
                    {
                        return reader.GetString()!;
                    }

                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            // Relayed as it came, under the name the event stream gives an unnamed event.
        }

        return "message";
    }
}
