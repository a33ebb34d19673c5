using System.Collections.Concurrent;
using System.Globalization;
using CostConsole.Data.Keys;
using CostConsole.Web.Cluster;
using StackExchange.Redis;

namespace CostConsole.Web.Api;

/// <summary>
/// Requests and tokens per minute per API key, counted in fixed one-minute windows. A key over either limit is
/// refused until its window ends, which is what <c>Retry-After</c> tells the client. With Redis the windows are
/// shared by every instance; while Redis is unreachable each instance counts on its own, so a key may get up to its
/// limit on each instance until Redis is back.
/// </summary>
internal sealed partial class KeyRateLimiter(TimeProvider time, RedisStore? redis = null, ILogger<KeyRateLimiter>? logger = null)
{
    private const string AcquireScript = """
        local requests = tonumber(redis.call('HGET', KEYS[1], 'requests') or '0')
        local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens') or '0')
        if tonumber(ARGV[2]) >= 0 and tokens >= tonumber(ARGV[2]) then return 0 end
        if tonumber(ARGV[1]) >= 0 and requests >= tonumber(ARGV[1]) then return 0 end
        redis.call('HINCRBY', KEYS[1], 'requests', 1)
        redis.call('EXPIRE', KEYS[1], 120)
        return 1
        """;

    private const string TokensScript = """
        redis.call('HINCRBY', KEYS[1], 'tokens', ARGV[1])
        redis.call('EXPIRE', KEYS[1], 120)
        return 1
        """;

    private readonly ConcurrentDictionary<long, Window> _windows = new();
    private int _degraded;

    /// <summary>Counts a request against its key; returns the seconds to wait when the key is over a limit.</summary>
    public async ValueTask<int?> TryAcquireAsync(ApiKeyInfo key)
    {
        if (key.RequestsPerMinute is null && key.TokensPerMinute is null)
        {
            return null;
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (redis is not null)
        {
            try
            {
                var start = now - (now % 60_000);
                var admitted = (int)await redis.Database.ScriptEvaluateAsync(AcquireScript, [SharedKey(key.Id, start)],
                    [key.RequestsPerMinute ?? -1, key.TokensPerMinute ?? -1]);
                Interlocked.Exchange(ref _degraded, 0);
                return admitted == 1 ? null : RetryAfter(start, now);
            }
            catch (Exception ex) when (RedisStore.IsUnreachable(ex))
            {
                if (Interlocked.Exchange(ref _degraded, 1) == 0 && logger is not null)
                {
                    CountingLocally(logger, redis.Endpoint, ex.Message);
                }
            }
        }

        return TryAcquireLocally(key, now);
    }

    private int? TryAcquireLocally(ApiKeyInfo key, long now)
    {
        var window = _windows.GetOrAdd(key.Id, static _ => new Window());
        lock (window)
        {
            window.Roll(now);
            var retryAfter = RetryAfter(window.Start, now);
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
    public async ValueTask AddTokensAsync(long keyId, long tokens)
    {
        if (tokens <= 0)
        {
            return;
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (redis is not null)
        {
            try
            {
                await redis.Database.ScriptEvaluateAsync(TokensScript, [SharedKey(keyId, now - (now % 60_000))], [tokens]);
            }
            catch (Exception ex) when (RedisStore.IsUnreachable(ex))
            {
                // Counted below, on this instance, for as long as Redis is away.
            }
        }

        var window = _windows.GetOrAdd(keyId, static _ => new Window());
        lock (window)
        {
            window.Roll(now);
            window.Tokens += tokens;
        }
    }

    private static int RetryAfter(long windowStart, long now) => (int)Math.Max(1, Math.Ceiling((windowStart + 60_000 - now) / 1000.0));

    private RedisKey SharedKey(long keyId, long windowStart) =>
        redis!.Key($"rate:{keyId.ToString(CultureInfo.InvariantCulture)}:{windowStart.ToString(CultureInfo.InvariantCulture)}");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rate limits are counted on this instance alone while Redis at {Endpoint} is unreachable ({Error}).")]
    private static partial void CountingLocally(ILogger logger, string endpoint, string error);

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
