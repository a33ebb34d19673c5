namespace CostConsole.Routing.Tokens;

/// <summary>A chat prompt's token count, and whether part of it was estimated rather than counted.</summary>
public readonly record struct PromptTokenCount(long Tokens, bool Estimated)
{
    /// <summary>
    /// Characters of message text counted exactly per request; beyond them the rest is estimated at the rate counted so
    /// far. Counting is linear, but a body at the 4 MiB limit would still take seconds of CPU: this bounds it to a fraction of one.
    /// </summary>
    public const int ExactChars = 256 * 1024;

    /// <summary>OpenAI's accounting for chat input: each message's text plus 3, plus 3 to prime the reply.</summary>
    public static PromptTokenCount Of<T>(IReadOnlyList<T> messages, Func<T, string> text, ITokenCounter counter, CancellationToken cancellationToken)
    {
        long total = 3;
        long countedChars = 0, countedTokens = 0;
        var budget = ExactChars;
        var estimated = false;
        foreach (var message in messages)
        {
            var content = text(message).AsSpan();
            long tokens;
            if (content.Length <= budget)
            {
                tokens = counter.CountTokens(content, cancellationToken);
                budget -= content.Length;
                countedChars += content.Length;
            }
            else
            {
                var head = budget > 0 && char.IsHighSurrogate(content[budget - 1]) ? budget - 1 : budget;
                tokens = counter.CountTokens(content[..head], cancellationToken);
                countedChars += head;
                countedTokens += tokens;
                var rest = content.Length - head;

                // At the rate of what was counted; a quarter token per character (OpenAI's rule of thumb) if nothing was.
                tokens += countedChars == 0 ? (rest + 3) / 4 : (long)Math.Ceiling(rest * (double)countedTokens / countedChars);
                budget = 0;
                estimated = true;
                total += tokens + 3;
                continue;
            }

            countedTokens += tokens;
            total += tokens + 3;
        }

        return new PromptTokenCount(total, estimated);
    }
}
