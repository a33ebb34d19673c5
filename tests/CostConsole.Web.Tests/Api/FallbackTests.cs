using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CostConsole.Web.Simulator;
using CostConsole.Web.Tests.Infrastructure;

namespace CostConsole.Web.Tests.Api;

public sealed class ShortTimeoutFactory() : CostConsoleFactory(new()
{
    ["CostConsole:Catalogue:Providers:0:TimeoutSeconds"] = "1",
});

/// <summary>Fault injection in the simulator, over real HTTP: fallbacks answer when they can, errors are OpenAI-shaped when they cannot.</summary>
public sealed class FallbackTests : IClassFixture<ShortTimeoutFactory>, IDisposable
{
    private static readonly object Faq = new { model = "auto", messages = new[] { new { role = "user", content = "Where is my order? Tracking please." } } };

    private readonly ShortTimeoutFactory _factory;
    private readonly List<SimulatedModelProfile> _original;
    private readonly double _latencyScale;

    public FallbackTests(ShortTimeoutFactory factory)
    {
        _factory = factory;
        _original = [.. factory.Simulator.Models];
        _latencyScale = factory.Simulator.LatencyScale;
    }

    public void Dispose()
    {
        _factory.Simulator.LatencyScale = _latencyScale;
        foreach (var profile in _original)
        {
            _factory.Simulator.Update(profile);
        }
    }

    private void Fault(string model, Func<SimulatedModelProfile, SimulatedModelProfile> change) =>
        _factory.Simulator.Update(change(_factory.Simulator.Find(model)!));

    private void FaultAll(Func<SimulatedModelProfile, SimulatedModelProfile> change)
    {
        foreach (var profile in _original)
        {
            _factory.Simulator.Update(change(profile));
        }
    }

    private async Task<HttpResponseMessage> SendAsync(object body)
    {
        using var client = _factory.CreateApiClient();
        return await client.PostAsJsonAsync("/v1/chat/completions", body, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_failing_small_model_falls_back_to_the_next_tier_and_the_ledger_shows_both_attempts()
    {
        Fault("gpt-4.1-nano", p => p with { ErrorRate = 1 });

        using var response = await SendAsync(Faq);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("gpt-4.1-mini", response.Headers.GetValues("x-costconsole-model").Single());
        Assert.Equal("1", response.Headers.GetValues("x-costconsole-fallbacks").Single());
        var row = (await _factory.LedgerAsync()).Single(r => r.RequestId == response.Headers.GetValues("x-costconsole-request-id").Single());
        Assert.Equal((0, 1, "small"), (row.Status, row.Fallbacks, row.Tier));
        using var attempts = JsonDocument.Parse(row.AttemptsJson!);
        Assert.Equal(["simulator/gpt-4.1-nano", "simulator/gpt-4.1-mini"], attempts.RootElement.EnumerateArray().Select(a => a.GetProperty("model").GetString()));
        Assert.Equal(500, attempts.RootElement[0].GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task A_rate_limited_model_falls_back()
    {
        Fault("gpt-4.1-nano", p => p with { RateLimitRate = 1 });

        using var response = await SendAsync(Faq);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = (await _factory.LedgerAsync()).Single(r => r.RequestId == response.Headers.GetValues("x-costconsole-request-id").Single());
        Assert.Contains("rate limited", row.AttemptsJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_every_model_fails_the_client_gets_502_and_the_ledger_records_the_failure()
    {
        FaultAll(p => p with { ErrorRate = 1 });

        using var response = await SendAsync(Faq);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("upstream_error", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        var row = (await _factory.LedgerAsync()).Single(r => r.RequestId == response.Headers.GetValues("x-costconsole-request-id").Single());
        Assert.Equal((1, 502, 2), (row.Status, row.HttpStatus, row.Fallbacks));
    }

    [Fact]
    public async Task When_every_model_times_out_the_client_gets_504()
    {
        // A real hang, longer than the provider's 1 s timeout, so the gateway's own timeout fires.
        _factory.Simulator.LatencyScale = 1;
        FaultAll(p => p with { TimeoutRate = 1, HangSeconds = 10 });

        using var response = await SendAsync(Faq);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("upstream_timeout", error.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_stream_that_fails_to_open_falls_back_before_the_client_sees_a_byte()
    {
        Fault("gpt-4.1-nano", p => p with { ErrorRate = 1 });

        using var client = _factory.CreateApiClient();
        using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", stream = true, messages = new[] { new { role = "user", content = "Where is my order?" } } }, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("gpt-4.1-mini", response.Headers.GetValues("x-costconsole-model").Single());
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stream_cut_mid_way_ends_with_an_error_event_and_is_recorded_as_failed()
    {
        Fault("gpt-4.1-nano", p => p with { StreamCutRate = 1 });

        using var client = _factory.CreateApiClient();
        using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", stream = true, messages = new[] { new { role = "user", content = "Where is my order?" } } }, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Contains("upstream_stream_broken", body, StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", body, StringComparison.Ordinal);
        var row = (await _factory.LedgerAsync()).Single(r => r.RequestId == response.Headers.GetValues("x-costconsole-request-id").Single());
        Assert.Equal((1, 502), (row.Status, row.HttpStatus));
    }
}
