using System.Diagnostics;
using System.Text;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Pricing;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;

namespace CostConsole.Routing.Pipeline;

internal enum StreamResult
{
    Completed,
    BrokeBeforeFirstEvent,
    BrokeMidway,
}

/// <summary>
/// Relays one upstream stream to the client. Headers go out only once the first event has arrived, so a
/// stream that fails at once can still fall back; usage is read from the stream (or counted when absent).
/// </summary>
internal sealed class StreamRelay(ChatRequest request, IChatStreamSink sink, long requestStarted)
{
    private readonly StringBuilder _content = new();
    private TokenUsage? _reported;

    public double? TimeToFirstTokenMs { get; private set; }

    public string? Error { get; private set; }

    public TokenUsage Usage(ITokenCounter tokens) =>
        _reported ?? new TokenUsage(request.PromptTokens, 0, tokens.CountTokens(_content.ToString()));

    public async Task<StreamResult> RunAsync(UpstreamStream upstream, RoutingDecision decision, RoutedModel model, CancellationToken cancellationToken)
    {
        var sent = false;
        try
        {
            await foreach (var payload in upstream.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var facts = ResponseInspector.Inspect(payload.Span);
                if (facts.HasUsage)
                {
                    _reported = facts.Usage;
                }

                if (!string.IsNullOrEmpty(facts.Content))
                {
                    TimeToFirstTokenMs ??= Stopwatch.GetElapsedTime(requestStarted).TotalMilliseconds;
                    _content.Append(facts.Content);
                }

                // The usage-only chunk was asked for by the router; pass it on only if the client asked too.
                if (facts.ChoiceCount == 0 && facts.HasUsage && !request.IncludeUsage)
                {
                    continue;
                }

                if (!sink.HasStarted)
                {
                    await sink.BeginAsync(decision, model, cancellationToken).ConfigureAwait(false);
                }

                await sink.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
                sent = true;
            }

            if (!sink.HasStarted)
            {
                await sink.BeginAsync(decision, model, cancellationToken).ConfigureAwait(false);
            }

            return StreamResult.Completed;
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException or System.ClientModel.ClientResultException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            Error = ex is OperationCanceledException ? "the provider stopped sending within its timeout" : ex.Message;
            return sent || sink.HasStarted ? StreamResult.BrokeMidway : StreamResult.BrokeBeforeFirstEvent;
        }
    }
}
