using System.Net;
using System.Net.Http.Json;

namespace CostConsole.Web.Tests.Scale;

public sealed class RedisHealthTests : IAsyncLifetime
{
    private readonly RedisServer _redis = new();

    public async ValueTask InitializeAsync() => await _redis.InitializeAsync();

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task Health_reports_redis_degraded_while_it_is_down_and_healthy_once_it_is_back()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await Cluster.StartAsync(_redis, instances: 1);
        using var http = cluster.A.CreateApiClient(null);

        Assert.Equal("Healthy", await http.GetStringAsync("/health", ct));

        _redis.Stop();
        using (var down = await http.GetAsync("/health", ct))
        {
            Assert.Equal(HttpStatusCode.OK, down.StatusCode);
            Assert.Equal("Degraded", await down.Content.ReadAsStringAsync(ct));
        }

        await _redis.StartAsync();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string status;
        do
        {
            status = await http.GetStringAsync("/health", ct);
        }
        while (status != "Healthy" && DateTime.UtcNow < deadline);

        Assert.Equal("Healthy", status);
    }

    [Fact]
    public async Task An_instance_starts_while_redis_is_down_and_serves_requests_under_no_budget()
    {
        var ct = TestContext.Current.CancellationToken;
        _redis.Stop();
        await using var cluster = await Cluster.StartAsync(_redis, instances: 1);
        using var http = cluster.A.CreateApiClient();

        Assert.Equal("Degraded", await http.GetStringAsync("/health", ct));
        using var response = await http.PostAsJsonAsync("/v1/chat/completions", new { model = "gpt-4.1-nano", messages = new[] { new { role = "user", content = "Say hello." } } }, ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
