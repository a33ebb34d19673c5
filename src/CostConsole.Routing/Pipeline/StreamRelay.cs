using System.Diagnostics;
using System.Text;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Escalation;
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
/// A buffered relay sends nothing: it keeps the events until the answer has passed its quality gates, and
/// <see cref="ReplayAsync"/> sends them then — the client sees only the attempt that is kept.
/// </summary>
/// <param name="stripLogprobs">The router asked for logprobs the client did not: they are read, then taken out of every chunk.</param>
internal sealed class StreamRelay(ChatRequest request, IChatStreamSink sink, long requestStarted, bool buffer, bool readLogprobs, bool stripLogprobs = false)
{
    private readonly StringBuilder _content = new();
    private readonly List<byte[]>? _buffered = buffer ? [] : null;
    private readonly List<double>? _logprobs = readLogprobs ? [] : null;
    private TokenUsage? _reported;
    private string? _finishReason;
    private bool _toolCalls;

    public double? TimeToFirstTokenMs { get; private set; }

    public string? Error { get; private set; }

    public TokenUsage Usage(ITokenCounter tokens) =>
        _reported ?? new TokenUsage(request.PromptTokens, 0, tokens.CountTokens(_content.ToString()));

    /// <summary>What the quality gates read: the whole answer's text, why it ended, its logprobs, and whether it called tools.</summary>
    public AnswerFacts Facts => new(_content.ToString(), _finishReason, _logprobs, _toolCalls);

    public async Task<StreamResult> RunAsync(UpstreamStream upstream, RoutingDecision decision, RoutedModel model, CancellationToken cancellationToken)
    {
        var sent = false;
        try
        {
            await foreach (var payload in upstream.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var facts = ResponseInspector.Inspect(payload.Span, _logprobs);
                if (facts.ErrorMessage is { } providerError && facts.ChoiceCount == 0)
                {
                    // A provider that fails while generating sends an error chunk and ends: its message is what the client is told.
                    throw new IOException("The provider ended the stream with an error: " + providerError);
                }

                if (facts.HasUsage)
                {
                    _reported = facts.Usage;
                }

                _toolCalls |= facts.HasToolCalls;
                if (facts.FinishReason is { } finish)
                {
                    _finishReason = finish;
                }

                if (!string.IsNullOrEmpty(facts.Content))
                {
                    if (_buffered is null)
                    {
                        TimeToFirstTokenMs ??= Stopwatch.GetElapsedTime(requestStarted).TotalMilliseconds;
                    }

                    _content.Append(facts.Content);
                }

                // The usage-only chunk was asked for by the router; pass it on only if the client asked too.
                if (facts.ChoiceCount == 0 && facts.HasUsage && !request.IncludeUsage)
                {
                    continue;
                }

                var outgoing = stripLogprobs ? LogprobsFilter.Strip(payload) : payload;
                if (_buffered is not null)
                {
                    _buffered.Add(outgoing.ToArray());
                    continue;
                }

                if (!sink.HasStarted)
                {
                    await sink.BeginAsync(decision, model, cancellationToken).ConfigureAwait(false);
                }

                await sink.WriteAsync(outgoing, cancellationToken).ConfigureAwait(false);
                sent = true;
            }

            if (_buffered is null && !sink.HasStarted)
            {
                await sink.BeginAsync(decision, model, cancellationToken).ConfigureAwait(false);
            }

            return StreamResult.Completed;
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException or System.ClientModel.ClientResultException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            Error = ex is OperationCanceledException ? "the provider stopped sending within its timeout" : ex.Message;
            return sent || (_buffered is null && sink.HasStarted) ? StreamResult.BrokeMidway : StreamResult.BrokeBeforeFirstEvent;
        }
    }

    /// <summary>Sends a buffered answer that passed its gates (or is kept for review) to the client.</summary>
    public async Task ReplayAsync(RoutingDecision decision, RoutedModel model, CancellationToken cancellationToken)
    {
        TimeToFirstTokenMs = Stopwatch.GetElapsedTime(requestStarted).TotalMilliseconds;
        if (!sink.HasStarted)
        {
            await sink.BeginAsync(decision, model, cancellationToken).ConfigureAwait(false);
        }

        foreach (var payload in _buffered ?? [])
        {
            await sink.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
        }
    }
}
