using Microsoft.ML.Tokenizers;

namespace CostConsole.Routing.Tokens;

/// <summary>
/// The o200k_base encoding used by the GPT-4o and GPT-4.1 families; thread-safe and shared.
/// </summary>
/// <remarks>
/// The encoding's byte-pair merge is quadratic in the length of one pre-token, and a run without whitespace (a
/// repeated letter, CJK text, base64) is one pre-token: a megabyte of it took minutes. Text is therefore given to
/// the tokenizer in pieces cut at word boundaries, and a run longer than <see cref="LongestRun"/> characters is cut
/// inside: prose counts exactly, and such a run counts at most one token more per cut. Work is linear in the length.
/// </remarks>
public sealed class O200kTokenCounter : ITokenCounter
{
    /// <summary>The longest stretch without a word boundary given to the tokenizer whole.</summary>
    public const int LongestRun = 128;

    /// <summary>Text is counted in pieces of about this many characters, so cancellation is seen between them.</summary>
    private const int PieceChars = 16 * 1024;

    private static readonly Lazy<Tokenizer> SharedTokenizer = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));

    public static O200kTokenCounter Instance { get; } = new();

    public int CountTokens(string text) => string.IsNullOrEmpty(text) ? 0 : CountTokens(text.AsSpan(), CancellationToken.None);

    public int CountTokens(ReadOnlySpan<char> text) => CountTokens(text, CancellationToken.None);

    /// <summary>True unless the text has a run the count cuts into pieces (at most one token high per cut).</summary>
    public bool IsExact(ReadOnlySpan<char> text)
    {
        var boundary = 0;
        for (var i = 1; i < text.Length; i++)
        {
            if (char.IsWhiteSpace(text[i]) && !char.IsWhiteSpace(text[i - 1]))
            {
                boundary = i;
            }
            else if (i - boundary >= LongestRun)
            {
                return false;
            }
        }

        return true;
    }

    public int CountTokens(ReadOnlySpan<char> text, CancellationToken cancellationToken)
    {
        if (text.IsEmpty)
        {
            return 0;
        }

        var tokenizer = SharedTokenizer.Value;
        if (text.Length <= LongestRun)
        {
            return tokenizer.CountTokens(text);
        }

        var total = 0;
        var start = 0;

        // The last place where whitespace follows something else: pre-tokens never span it, so a cut there changes nothing.
        var boundary = 0;
        for (var i = 1; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c) && !char.IsWhiteSpace(text[i - 1]))
            {
                boundary = i;
            }

            int cut;
            if (i - boundary >= LongestRun && !char.IsLowSurrogate(c))
            {
                cut = i;
            }
            else if (i - start >= PieceChars && boundary > start)
            {
                cut = boundary;
            }
            else
            {
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            total += tokenizer.CountTokens(text[start..cut]);
            start = cut;
            boundary = cut;
        }

        cancellationToken.ThrowIfCancellationRequested();
        return total + tokenizer.CountTokens(text[start..]);
    }
}
