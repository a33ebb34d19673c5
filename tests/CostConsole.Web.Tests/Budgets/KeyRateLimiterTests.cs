using CostConsole.Data.Keys;
using CostConsole.Web.Api;

namespace CostConsole.Web.Tests.Budgets;

public sealed class KeyRateLimiterTests
{
    private sealed class ManualTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static readonly DateTimeOffset MinuteStart = new(2026, 11, 18, 10, 15, 0, TimeSpan.Zero);

    [Fact]
    public async Task Requests_over_the_limit_wait_until_the_minute_ends()
    {
        var time = new ManualTime(MinuteStart.AddSeconds(20));
        var limiter = new KeyRateLimiter(time);
        var key = new ApiKeyInfo(1, "app", "team") { RequestsPerMinute = 2 };

        Assert.Null(await limiter.TryAcquireAsync(key));
        Assert.Null(await limiter.TryAcquireAsync(key));
        Assert.Equal(40, await limiter.TryAcquireAsync(key));

        time.Now = MinuteStart.AddSeconds(59.2);
        Assert.Equal(1, await limiter.TryAcquireAsync(key));

        time.Now = MinuteStart.AddMinutes(1);
        Assert.Null(await limiter.TryAcquireAsync(key));
    }

    [Fact]
    public async Task Tokens_used_in_the_minute_count_against_the_token_limit()
    {
        var time = new ManualTime(MinuteStart.AddSeconds(30));
        var limiter = new KeyRateLimiter(time);
        var key = new ApiKeyInfo(2, "agent", "team") { TokensPerMinute = 1_000 };

        Assert.Null(await limiter.TryAcquireAsync(key));
        await limiter.AddTokensAsync(key.Id, 999);
        Assert.Null(await limiter.TryAcquireAsync(key));
        await limiter.AddTokensAsync(key.Id, 1);
        Assert.Equal(30, await limiter.TryAcquireAsync(key));

        time.Now = MinuteStart.AddMinutes(1).AddSeconds(1);
        Assert.Null(await limiter.TryAcquireAsync(key));
    }

    [Fact]
    public async Task A_key_without_limits_is_never_counted()
    {
        var limiter = new KeyRateLimiter(new ManualTime(MinuteStart));
        var key = new ApiKeyInfo(3, "free", null);

        for (var i = 0; i < 10_000; i++)
        {
            Assert.Null(await limiter.TryAcquireAsync(key));
        }
    }
}
