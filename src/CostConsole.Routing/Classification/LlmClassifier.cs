using System.Buffers;
using System.Collections.Frozen;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;

namespace CostConsole.Routing.Classification;

/// <summary>
/// Asks a cheap model which label fits the prompt: the system message is the classifier prompt with its labels
/// filled in, the user message the request's last user message, at temperature 0 with a few tokens. An answer
/// that is not a label, or a failed call, sends the request to the default tier and is counted.
/// </summary>
internal sealed class LlmClassifier : ITierClassifier, IClassifierCounters
{
    /// <summary>A classifier reads the start of a message; a bound keeps a huge prompt from costing a huge classification.</summary>
    internal const int MaxCharacters = 16_000;

    private const int QuoteLength = 40;

    private readonly IModelInvoker _invoker;
    private readonly RoutedModel _model;
    private readonly int _maxTokens;
    private readonly FrozenDictionary<string, (string Label, string Tier)> _labels;
    private readonly FrozenDictionary<string, (string Label, string Tier)>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly string _defaultTier;
    private readonly string _answered;
    private readonly string _defaultSuffix;
    private long _calls;
    private long _unparseable;
    private long _failures;

    /// <param name="labels">Label → tier, in the order the prompt lists them (cheapest first).</param>
    public LlmClassifier(IModelInvoker invoker, RoutedModel model, string prompt, IReadOnlyList<KeyValuePair<string, string>> labels, int maxTokens, string defaultTier)
    {
        _invoker = invoker;
        _model = model;
        _maxTokens = maxTokens;
        _defaultTier = defaultTier;
        SystemPrompt = prompt.Replace(Rules.LlmClassifierDefinition.LabelsPlaceholder, string.Join(", ", labels.Select(l => l.Key)), StringComparison.Ordinal);
        _labels = labels.ToFrozenDictionary(l => l.Key, l => (l.Key, l.Value), StringComparer.OrdinalIgnoreCase);
        _lookup = _labels.GetAlternateLookup<ReadOnlySpan<char>>();
        _answered = $"llm {model.Model.Id} answered '";
        _defaultSuffix = "; default tier " + defaultTier;
    }

    public string Name => "llm";

    /// <summary>The system message as sent, labels filled in.</summary>
    public string SystemPrompt { get; }

    public RoutedModel Model => _model;

    public long ModelCalls => Interlocked.Read(ref _calls);

    public long UnparseableAnswers => Interlocked.Read(ref _unparseable);

    public long FailedCalls => Interlocked.Read(ref _failures);

    public ValueTask<ClassifierVerdict> ClassifyAsync(ChatRequest request, CancellationToken cancellationToken) =>
        AskAsync(request.LastUserText, cancellationToken);

    internal async ValueTask<ClassifierVerdict> AskAsync(string text, CancellationToken cancellationToken)
    {
        using var classification = CreateRequest(text);
        Interlocked.Increment(ref _calls);
        var started = Stopwatch.GetTimestamp();
        UpstreamReply reply;
        try
        {
            reply = await _invoker.CompleteAsync(_model, classification, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            reply = new UpstreamReply { Status = 502, Body = BinaryData.Empty, Failure = UpstreamFailure.Connection, Error = ex.Message };
        }

        var milliseconds = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (!reply.IsSuccess)
        {
            Interlocked.Increment(ref _failures);
            return new ClassifierVerdict(
                _defaultTier,
                null,
                string.Create(CultureInfo.InvariantCulture, $"llm {_model.Model.Id} failed after {milliseconds:0} ms ({reply.Error ?? reply.Failure.ToString()}){_defaultSuffix}"));
        }

        var answer = ResponseInspector.Inspect(reply.Body.ToMemory().Span).Content ?? string.Empty;
        if (TryParse(answer, out var label, out var tier))
        {
            var mapped = string.Equals(label, tier, StringComparison.OrdinalIgnoreCase) ? "" : " → " + tier;
            return new ClassifierVerdict(tier, null, string.Create(CultureInfo.InvariantCulture, $"{_answered}{label}'{mapped} in {milliseconds:0} ms"));
        }

        Interlocked.Increment(ref _unparseable);
        return new ClassifierVerdict(
            _defaultTier,
            null,
            string.Create(CultureInfo.InvariantCulture, $"{_answered}{Quote(answer)}' in {milliseconds:0} ms (unparseable){_defaultSuffix}"));
    }

    /// <summary>
    /// Accepts a label as the whole answer or as its first word, case-insensitively, ignoring surrounding
    /// whitespace, quotes and punctuation: "small", " Small.", "\"large\"", "medium - because …".
    /// </summary>
    internal bool TryParse(string answer, out string label, out string tier)
    {
        var text = Strip(answer.AsSpan());
        if (!_lookup.TryGetValue(text, out var hit))
        {
            var end = 0;
            while (end < text.Length && IsLabelChar(text[end]))
            {
                end++;
            }

            if (end == text.Length || !_lookup.TryGetValue(Strip(text[..end]), out hit))
            {
                (label, tier) = ("", "");
                return false;
            }
        }

        (label, tier) = hit;
        return true;
    }

    /// <summary>The request the model sees; written here so the body has exactly the fields the classifier controls.</summary>
    internal ChatRequest CreateRequest(string text) =>
        RouterRequest.Create(_model.Model.Id, SystemPrompt, text.AsSpan(0, Math.Min(text.Length, MaxCharacters)), _maxTokens, O200kTokenCounter.Instance);

    private static ReadOnlySpan<char> Strip(ReadOnlySpan<char> text)
    {
        var start = 0;
        var end = text.Length;
        while (start < end && !char.IsLetterOrDigit(text[start]))
        {
            start++;
        }

        while (end > start && !char.IsLetterOrDigit(text[end - 1]))
        {
            end--;
        }

        return text[start..end];
    }

    private static bool IsLabelChar(char c) => char.IsLetterOrDigit(c) || c is '-' or '_';

    private static string Quote(string answer)
    {
        var flat = answer.Trim().ReplaceLineEndings(" ");
        return flat.Length <= QuoteLength ? flat : string.Concat(flat.AsSpan(0, QuoteLength).TrimEnd(), "…");
    }
}
