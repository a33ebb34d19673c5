using Microsoft.ML.Tokenizers;

namespace CostConsole.Routing.Tokens;

/// <summary>The o200k_base encoding used by the GPT-4o and GPT-4.1 families; thread-safe and shared.</summary>
public sealed class O200kTokenCounter : ITokenCounter
{
    private static readonly Lazy<Tokenizer> SharedTokenizer = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));

    public static O200kTokenCounter Instance { get; } = new();

    public int CountTokens(string text) => string.IsNullOrEmpty(text) ? 0 : SharedTokenizer.Value.CountTokens(text);

    public int CountTokens(ReadOnlySpan<char> text) => text.IsEmpty ? 0 : SharedTokenizer.Value.CountTokens(text);
}
