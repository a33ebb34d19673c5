using Bunit;
using CostConsole.Web.Cluster;
using CostConsole.Web.Components.Settings;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace CostConsole.Web.Tests.Scale;

public sealed class RedisPanelTests : BunitContext, IAsyncLifetime
{
    private readonly RedisServer _redis = new();

    public RedisPanelTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
    }

    public async ValueTask InitializeAsync() => await _redis.InitializeAsync();

    async ValueTask IAsyncDisposable.DisposeAsync()
    {
        await base.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public void Without_redis_configured_the_settings_page_shows_no_shared_store()
    {
        var panel = Render<RedisPanel>();

        Assert.Empty(panel.FindAll("[data-testid=redis-health]"));
    }

    [Fact]
    public async Task The_panel_says_redis_is_connected_and_after_it_stops_that_it_is_unreachable_and_what_requests_under_a_budget_get()
    {
        await using var redis = new RedisStore(new RedisOptions { Configuration = _redis.Configuration, TimeoutMilliseconds = 1000 });
        Services.AddSingleton(redis);
        var panel = Render<RedisPanel>();
        panel.WaitForAssertion(() => Assert.Contains("Connected", panel.Find("[data-testid=redis-status]").TextContent, StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        Assert.Contains(_redis.Configuration, panel.Find("[data-testid=redis-health]").TextContent, StringComparison.Ordinal);

        _redis.Stop();
        await panel.Find("[data-testid=redis-check]").ClickAsync(new());
        panel.WaitForAssertion(() =>
        {
            var status = panel.Find("[data-testid=redis-status]").TextContent;
            Assert.Contains("Unreachable", status, StringComparison.Ordinal);
            Assert.Contains("refused with a 503", status, StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(10));
    }
}
