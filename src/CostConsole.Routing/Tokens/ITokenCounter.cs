namespace CostConsole.Routing.Tokens;

/// <summary>Counts tokens the way the upstream models bill them.</summary>
public interface ITokenCounter
{
    int CountTokens(string text);

    int CountTokens(ReadOnlySpan<char> text);

    /// <summary>Counts, checking <paramref name="cancellationToken"/> as it goes so a departed client stops costing CPU.</summary>
    int CountTokens(ReadOnlySpan<char> text, CancellationToken cancellationToken);

    /// <summary>False when the count of <paramref name="text"/> is an estimate rather than the encoding's exact count.</summary>
    bool IsExact(ReadOnlySpan<char> text) => true;
}
