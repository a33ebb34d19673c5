using System.Collections.Concurrent;
using CostConsole.Data.Keys;

namespace CostConsole.Web.Api;

/// <summary>
/// Requests and tokens per minute per API key, counted in fixed one-minute windows. A key over either limit is
/// refused until its window ends, which is what <c>Retry-After</c> tells the client.
/// </summary>
internal sealed class KeyRateLimiter(TimeProvider time)
{
    private readonly ConcurrentDictionary<long, Window> _windows = new();

    /// <summary>Counts a request against its key; returns the seconds to wait when the key is over a limit.</summary>
    public int? TryAcquire(ApiKeyInfo key)
    {
        if (key.RequestsPerMinute is null && key.TokensPerMinute is null)
        {
            return null;
        }

        var window = _windows.GetOrAdd(key.Id, static _ => new Window());
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (window)
        {
            window.Roll(now);
            var retryAfter = (int)Math.Max(1, Math.Ceiling((window.Start + 60_000 - now) / 1000.0));
            if (key.TokensPerMinute is { } tokenLimit && window.Tokens >= tokenLimit)
            {
                return retryAfter;
            }

            if (key.RequestsPerMinute is { } requestLimit && window.Requests >= requestLimit)
            {
                return retryAfter;
            }

            window.Requests++;
            return null;
        }
    }

    /// <summary>Adds the tokens a finished request used to its key's current window.</summary>
    public void AddTokens(long keyId, long tokens)
    {
        if (tokens <= 0 || !_windows.TryGetValue(keyId, out var window))
        {
            return;
        }

        lock (window)
        {
            window.Roll(time.GetUtcNow().ToUnixTimeMilliseconds());
            window.Tokens += tokens;
        }
    }

    private sealed class Window
    {
        public long Start;
        public int Requests;
        public long Tokens;

        public void Roll(long now)
        {
            var start = now - (now % 60_000);
            if (start != Start)
            {
                Start = start;
                Requests = 0;
                Tokens = 0;
            }
        }
    }
}
