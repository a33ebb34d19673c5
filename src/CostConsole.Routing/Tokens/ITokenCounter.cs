namespace CostConsole.Routing.Tokens;

/// <summary>Counts tokens the way the upstream models bill them.</summary>
public interface ITokenCounter
{
    int CountTokens(string text);

    int CountTokens(ReadOnlySpan<char> text);
}
