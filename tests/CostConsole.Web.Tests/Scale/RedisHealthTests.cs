using System.Net;

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
}
