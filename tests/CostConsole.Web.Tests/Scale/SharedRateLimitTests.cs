using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CostConsole.Web.Api;
using CostConsole.Web.Keys;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Scale;

public sealed class SharedRateLimitTests : IAsyncLifetime
{
    private readonly RedisServer _redis = new();

    public async ValueTask InitializeAsync() => await _redis.InitializeAsync();

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();

    private static object Body() => new { model = "gpt-4.1-nano", max_tokens = 20, messages = new[] { new { role = "user", content = "Say hello to the customer." } } };

    private static async Task<CreatedKey> CreateKeyAsync(Cluster cluster, KeyForm form)
    {
        var (result, key) = await cluster.A.Services.GetRequiredService<KeyService>().CreateAsync(form, "test");
        Assert.True(result.Saved, result.Summary);
        foreach (var host in cluster.Hosts.Skip(1))
        {
            await host.Services.GetRequiredService<ApiKeyDirectory>().ReloadAsync();
        }

        return key!;
    }

    /// <summary>Fixed one-minute windows: starts the test early in a minute, so that its requests fall in one window.</summary>
    private static async Task EarlyInAMinuteAsync(CancellationToken ct)
    {
        while (DateTimeOffset.UtcNow.Second >= 40)
        {
            await Task.Delay(250, ct);
        }
    }

    private static async Task<(HttpStatusCode Status, string? Code)> SendAsync(HttpClient client, CancellationToken ct)
    {
        using var response = await client.PostAsJsonAsync("/v1/chat/completions", Body(), ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        var code = response.IsSuccessStatusCode ? null : JsonDocument.Parse(body).RootElement.GetProperty("error").GetProperty("code").GetString();
        return (response.StatusCode, code);
    }

    [Fact]
    public async Task A_key_limited_to_four_requests_a_minute_gets_four_across_both_instances_not_four_on_each()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await Cluster.StartAsync(_redis);
        var key = await CreateKeyAsync(cluster, new KeyForm { Name = "four a minute", Team = "ops", RequestsPerMinute = 4 });
        using var onA = cluster.A.CreateApiClient(key.Secret);
        using var onB = cluster.B.CreateApiClient(key.Secret);
        await EarlyInAMinuteAsync(ct);

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(onA, ct)).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(onB, ct)).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(onA, ct)).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(onB, ct)).Status);

        Assert.Equal((HttpStatusCode.TooManyRequests, "rate_limit_exceeded"), await SendAsync(onA, ct));
        Assert.Equal((HttpStatusCode.TooManyRequests, "rate_limit_exceeded"), await SendAsync(onB, ct));
    }

    [Fact]
    public async Task Tokens_used_on_one_instance_count_against_the_key_on_the_other()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await Cluster.StartAsync(_redis);
        var key = await CreateKeyAsync(cluster, new KeyForm { Name = "few tokens", Team = "ops", TokensPerMinute = 10 });
        using var onA = cluster.A.CreateApiClient(key.Secret);
        using var onB = cluster.B.CreateApiClient(key.Secret);
        await EarlyInAMinuteAsync(ct);

        // One answer uses more than ten tokens: B, which has served nothing for the key, refuses the next request.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(onA, ct)).Status);
        Assert.Equal((HttpStatusCode.TooManyRequests, "rate_limit_exceeded"), await SendAsync(onB, ct));
    }
}
