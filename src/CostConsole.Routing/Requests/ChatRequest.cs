using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CostConsole.Routing.Embeddings;
using CostConsole.Routing.Privacy;
using CostConsole.Routing.Tokens;

namespace CostConsole.Routing.Requests;

public sealed record ChatTurn(string Role, string Text);

/// <summary>
/// An OpenAI chat completions request as the router sees it: the fields rules look at, plus the parsed
/// document so the body can be passed upstream unchanged but for the model. A request a protocol's translator
/// made (Responses, Messages) carries the chat body the translator wrote instead, and parses it only when a part
/// that reads the document (the cache key, the Anthropic upstream) asks for it.
/// </summary>
public sealed class ChatRequest : IDisposable
{
    private static readonly JsonDocumentOptions TranslatedDocument = new() { MaxDepth = 64 };

    private JsonDocument? _document;
    private readonly ITokenCounter _tokens;
    private long _promptTokens = -1;
    private long _promptTokenCeiling = -1;
    private bool _promptTokensEstimated;
    private RequestEmbedding? _embedding;
    private PersonalDataScan? _personalData;

    internal ChatRequest(JsonDocument document, ITokenCounter tokens)
    {
        _document = document;
        _tokens = tokens;
    }

    internal ChatRequest(TranslatedChatBody body, ITokenCounter tokens)
    {
        Translated = body;
        _tokens = tokens;
    }

    /// <summary>The chat body a protocol's translator wrote, when this request came from one; null for chat completions.</summary>
    internal TranslatedChatBody? Translated { get; }

    /// <summary>
    /// The client's own body, when it spoke an API a provider may speak too (Responses, Messages): a provider that does is
    /// sent this body, with only the model changed, instead of the translation. Set by the host after parsing.
    /// </summary>
    public Providers.Passthrough.PassthroughRequest? Passthrough { get; set; }

    /// <summary>What the client asked for: "auto", a tier, or a catalogue model.</summary>
    public required string Model { get; init; }

    public required IReadOnlyList<ChatTurn> Messages { get; init; }

    /// <summary>The text of the last user message: what keyword and regex conditions read.</summary>
    public required string LastUserText { get; init; }

    public required int UserTurns { get; init; }

    public required bool HasTools { get; init; }

    public required bool Stream { get; init; }

    /// <summary>The client asked for usage in the last stream chunk.</summary>
    public required bool IncludeUsage { get; init; }

    public required bool WantsLogprobs { get; init; }

    public required bool WantsJson { get; init; }

    public required int? MaxTokens { get; init; }

    public required string? User { get; init; }

    public required IReadOnlyDictionary<string, string> Metadata { get; init; }

    public required IReadOnlySet<string> Tags { get; init; }

    internal JsonElement Root => (Volatile.Read(ref _document) ?? ParseTranslated()).RootElement;

    /// <summary>The stop sequences a translator sent as <c>stop</c>, so its answer can name the one that ended it without the document.</summary>
    internal IReadOnlyList<string>? TranslatedStop { get; init; }

    private JsonDocument ParseTranslated()
    {
        var document = JsonDocument.Parse(Translated!.Body, TranslatedDocument);
        var existing = Interlocked.CompareExchange(ref _document, document, null);
        if (existing is null)
        {
            return document;
        }

        document.Dispose();
        return existing;
    }

    /// <summary>The JSON schema of <c>response_format: {type: "json_schema", json_schema: {schema}}</c>, as text, when the request gave one.</summary>
    public string? ResponseSchema =>
        Root.TryGetProperty("response_format", out var format) && format.ValueKind == JsonValueKind.Object
        && format.TryGetProperty("json_schema", out var jsonSchema) && jsonSchema.ValueKind == JsonValueKind.Object
        && jsonSchema.TryGetProperty("schema", out var schema) && schema.ValueKind == JsonValueKind.Object
            ? schema.GetRawText()
            : null;

    /// <summary>Prompt tokens as OpenAI counts chat input: each message's text plus 3, plus 3 to prime the reply.</summary>
    public long PromptTokens => CountPromptTokens(CancellationToken.None);

    /// <summary>
    /// Counts <see cref="PromptTokens"/> once per request, stopping when <paramref name="cancellationToken"/> fires;
    /// every later reader shares the result.
    /// </summary>
    public long CountPromptTokens(CancellationToken cancellationToken)
    {
        var value = Volatile.Read(ref _promptTokens);
        if (value >= 0)
        {
            return value;
        }

        var count = PromptTokenCount.Of(Messages, turn => turn.Text, _tokens, cancellationToken);
        _promptTokensEstimated = count.Estimated;
        Volatile.Write(ref _promptTokens, count.Tokens);
        return count.Tokens;
    }

    /// <summary>
    /// False when the count is partly an estimate: text past <see cref="PromptTokenCount.ExactChars"/> characters, or a run the
    /// counter cuts into pieces (a few tokens high).
    /// </summary>
    public bool PromptTokensExact => !_promptTokensEstimated && Messages.All(turn => _tokens.IsExact(turn.Text));

    /// <summary>True once the exact count is known (counted, or recorded in the ledger).</summary>
    public bool PromptTokensKnown => Volatile.Read(ref _promptTokens) >= 0;

    /// <summary>
    /// A ceiling on <see cref="PromptTokens"/> that costs almost nothing: a token is at least one UTF-8 byte, so a
    /// message has no more tokens than bytes. Token-range rules settle most requests with it and count only when it cannot.
    /// </summary>
    public long PromptTokenCeiling
    {
        get
        {
            if (_promptTokenCeiling < 0)
            {
                long total = 3;
                foreach (var turn in Messages)
                {
                    total += System.Text.Encoding.UTF8.GetByteCount(turn.Text) + 3;
                }

                _promptTokenCeiling = total;
            }

            return _promptTokenCeiling;
        }
    }

    /// <summary>The fewest tokens any prompt with these messages has: the per-message overhead alone.</summary>
    public long PromptTokenFloor => 3 + 3L * Messages.Count;

    /// <summary>Uses a known count (from the ledger) instead of counting: replayed requests decide on the tokens they really had.</summary>
    internal void SetPromptTokens(long tokens) => Volatile.Write(ref _promptTokens, tokens);

    /// <summary>
    /// The embedding of <see cref="LastUserText"/> by <paramref name="embedder"/>, computed on the first ask (only when
    /// something needs it: no rule decided) and shared by every part that asks after, so a request is embedded at most
    /// once. A second embedder (another rule set's, during a publish) is not kept. The vector is shared: never change it.
    /// </summary>
    /// <exception cref="EmbeddingException">The embedder failed; every ask of this request gets the same failure.</exception>
    public ValueTask<float[]> EmbeddingAsync(IEmbedder embedder, CancellationToken cancellationToken)
    {
        var slot = Volatile.Read(ref _embedding);
        if (slot is null)
        {
            var mine = new RequestEmbedding(embedder);
            slot = Interlocked.CompareExchange(ref _embedding, mine, null) ?? mine;
            if (ReferenceEquals(slot, mine))
            {
                mine.Start(LastUserText, cancellationToken);
            }
        }

        return ReferenceEquals(slot.Embedder, embedder) ? slot.GetAsync(cancellationToken) : embedder.EmbedAsync(LastUserText, cancellationToken);
    }

    /// <summary>
    /// The personal data in this request's messages, once <see cref="DetectPersonalData"/> has run (routing runs it
    /// first thing); null before. Other parts (the response cache, the ledger) read it rather than scanning again.
    /// </summary>
    public PersonalDataFindings? PersonalData => Volatile.Read(ref _personalData)?.Findings;

    /// <summary>
    /// Scans the messages with <paramref name="detector"/> on the first ask and shares the result with every later
    /// ask, so a request is scanned once. A second detector (another rule set's, during a dry-run) gets a fresh scan
    /// that is not kept.
    /// </summary>
    public PersonalDataFindings DetectPersonalData(PersonalDataDetector detector)
    {
        var scan = Volatile.Read(ref _personalData);
        if (scan is null)
        {
            var mine = new PersonalDataScan(detector, detector.Scan(Messages, Replayed));
            scan = Interlocked.CompareExchange(ref _personalData, mine, null) ?? mine;
        }

        return ReferenceEquals(scan.Detector, detector) ? scan.Findings : detector.Scan(Messages, Replayed);
    }

    /// <summary>The detector that scanned this request (<see cref="DetectPersonalData"/>), or the built-in one before any scan: the stored answer is redacted with it.</summary>
    internal PersonalDataDetector PersonalDataDetector => Volatile.Read(ref _personalData)?.Detector ?? PersonalDataDetector.BuiltIn;

    /// <summary>Rebuilt from a stored routing input: the placeholders of a redacted prompt count as the personal data they replaced.</summary>
    internal bool Replayed { get; set; }

    /// <summary>The index in <see cref="Messages"/> of the last user message (<see cref="LastUserText"/>), or -1.</summary>
    public int LastUserIndex
    {
        get
        {
            for (var i = Messages.Count - 1; i >= 0; i--)
            {
                if (Messages[i].Role == "user")
                {
                    return i;
                }
            }

            return -1;
        }
    }

    /// <summary>All message text, for storing the prompt and hashing it.</summary>
    public string PromptText() => string.Join("\n\n", Messages.Select(m => m.Role + ": " + m.Text));

    /// <summary>
    /// The SHA-256 of <see cref="PromptText"/>'s UTF-8 bytes, lowercase hex, as the ledger records it: hashed piece by
    /// piece, so a request that stores no prompt never builds the text (it was most of a ledger row's allocations).
    /// The pieces meet at ASCII separators, so their bytes are exactly the joined text's.
    /// </summary>
    public string PromptHash()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(1024);
        try
        {
            for (var i = 0; i < Messages.Count; i++)
            {
                if (i > 0)
                {
                    hash.AppendData("\n\n"u8);
                }

                Append(hash, Messages[i].Role, ref buffer);
                hash.AppendData(": "u8);
                Append(hash, Messages[i].Text, ref buffer);
            }

            Span<byte> digest = stackalloc byte[32];
            hash.GetHashAndReset(digest);
            return Convert.ToHexStringLower(digest);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        static void Append(IncrementalHash hash, string text, ref byte[] buffer)
        {
            var needed = Encoding.UTF8.GetMaxByteCount(text.Length);
            if (needed > buffer.Length)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = ArrayPool<byte>.Shared.Rent(needed);
            }

            hash.AppendData(buffer, 0, Encoding.UTF8.GetBytes(text, buffer));
        }
    }

    public void Dispose() => _document?.Dispose();

    private sealed record PersonalDataScan(PersonalDataDetector Detector, PersonalDataFindings Findings);
}
