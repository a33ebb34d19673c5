using System.Diagnostics;
using System.Text;
using System.Text.Json;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;

namespace CostConsole.Web.Playground;

/// <summary>What one playground request produced: the pipeline's outcome and the answer's text.</summary>
public sealed record PlaygroundResult(ChatOutcome Outcome, string Answer, string? FinishReason, bool Streamed);

/// <summary>One tier's answer in the compare view.</summary>
public sealed record CompareResult(string Tier, PlaygroundResult? Result, string? Problem);

/// <summary>
/// Sends the playground's requests through the same in-process pipeline as <c>/v1</c>: routed, retried, escalated,
/// priced and recorded in the ledger exactly like a client's.
/// </summary>
public sealed class PlaygroundRunner(ChatPipeline pipeline, ITokenCounter tokens)
{
    public RoutingSnapshot Snapshot => pipeline.Snapshot;

    /// <summary>Runs the form's request; streamed answers arrive piece by piece through <paramref name="onDelta"/>.</summary>
    /// <exception cref="ChatRequestException">The request the form makes is not one the endpoint would accept.</exception>
    public async Task<PlaygroundResult> RunAsync(PlaygroundForm form, string conversationId, Action<string>? onDelta, CancellationToken cancellationToken, string? model = null, bool? stream = null)
    {
        var body = PlaygroundRequest.Body(form, model, stream);
        using var request = ChatRequestParser.Parse(body, PlaygroundRequest.TagsHeader(form), tokens);
        var caller = new CallerContext("req_" + Guid.CreateVersion7().ToString("N"), null, DateTimeOffset.UtcNow, Stopwatch.GetTimestamp(), StorePrompt: true, conversationId, ClientProtocols.Playground);
        if (request.Stream)
        {
            var sink = new PlaygroundStreamSink(onDelta);
            var streamed = await pipeline.StreamAsync(request, caller, sink, cancellationToken);
            return new PlaygroundResult(streamed, sink.Text, sink.FinishReason, true);
        }

        var outcome = await pipeline.CompleteAsync(request, caller, cancellationToken);
        var (answer, finish) = ReadAnswer(outcome.Body);
        return new PlaygroundResult(outcome, answer, finish, false);
    }

    /// <summary>The same conversation on every tier at once (not streamed), one request per tier.</summary>
    public async Task<IReadOnlyList<CompareResult>> CompareAsync(PlaygroundForm form, string conversationId, CancellationToken cancellationToken)
    {
        var tiers = pipeline.Snapshot.Tiers;
        var runs = tiers.Select(async tier =>
        {
            try
            {
                return new CompareResult(tier, await RunAsync(form, conversationId, null, cancellationToken, model: tier, stream: false), null);
            }
            catch (ChatRequestException ex)
            {
                return new CompareResult(tier, null, ex.Message);
            }
        });
        return await Task.WhenAll(runs);
    }

    internal static (string Answer, string? FinishReason) ReadAnswer(BinaryData? body)
    {
        if (body is null || body.ToMemory().IsEmpty)
        {
            return ("", null);
        }

        try
        {
            using var document = JsonDocument.Parse(body.ToMemory());
            if (document.RootElement.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0)
            {
                var choice = choices[0];
                var text = choice.TryGetProperty("message", out var message) && message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String
                    ? content.GetString()!
                    : "";
                if (text.Length == 0 && message.ValueKind == JsonValueKind.Object && message.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
                {
                    text = calls.GetRawText();
                }

                var finish = choice.TryGetProperty("finish_reason", out var reason) && reason.ValueKind == JsonValueKind.String ? reason.GetString() : null;
                return (text, finish);
            }
        }
        catch (JsonException)
        {
            // Not an answer we can read: show nothing rather than guess.
        }

        return ("", null);
    }

    /// <summary>Collects a streamed answer's text and hands each piece to the page as it arrives.</summary>
    private sealed class PlaygroundStreamSink(Action<string>? onDelta) : IChatStreamSink
    {
        private readonly StringBuilder _text = new();

        public bool HasStarted { get; private set; }

        public string? FinishReason { get; private set; }

        public string Text
        {
            get
            {
                lock (_text)
                {
                    return _text.ToString();
                }
            }
        }

        public ValueTask BeginAsync(RoutingDecision decision, RoutedModel model, CancellationToken cancellationToken)
        {
            HasStarted = true;
            return ValueTask.CompletedTask;
        }

        public ValueTask WriteAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
        {
            try
            {
                using var document = JsonDocument.Parse(payload);
                if (document.RootElement.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0)
                {
                    var choice = choices[0];
                    if (choice.TryGetProperty("delta", out var delta) && delta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
                    {
                        var piece = content.GetString()!;
                        lock (_text)
                        {
                            _text.Append(piece);
                        }

                        onDelta?.Invoke(piece);
                    }

                    if (choice.TryGetProperty("finish_reason", out var reason) && reason.ValueKind == JsonValueKind.String)
                    {
                        FinishReason = reason.GetString();
                    }
                }
            }
            catch (JsonException)
            {
                // An event that is not JSON carries no text for the page.
            }

            return ValueTask.CompletedTask;
        }

        public ValueTask EndAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask FailAsync(ChatError error, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
