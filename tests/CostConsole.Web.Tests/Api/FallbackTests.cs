using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CostConsole.Routing.Providers;
using CostConsole.Simulator;
using Microsoft.Extensions.DependencyInjection;
using CostConsole.Web.Tests.Infrastructure;

namespace CostConsole.Web.Tests.Api;

public sealed class ShortTimeoutFactory() : CostConsoleFactory(new()
{
    // A configured provider list replaces the defaults whole, so the simulator provider is given in full.
    ["CostConsole:Catalogue:Providers:0:Name"] = "simulator",
    ["CostConsole:Catalogue:Providers:0:BaseUrl"] = "/sim/v1",
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

        // Each test starts with every circuit closed, whatever the previous test did to the deployments.
        factory.Services.GetRequiredService<DeploymentResilience>().Reset();
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
    public async Task A_failing_small_model_is_retried_then_falls_back_to_the_next_tier_and_the_ledger_shows_every_attempt()
    {
        Fault("gpt-4.1-nano", p => p with { ErrorRate = 1 });

        using var response = await SendAsync(Faq);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("gpt-4.1-mini", response.Headers.GetValues("x-costconsole-model").Single());
        Assert.Equal("1", response.Headers.GetValues("x-costconsole-fallbacks").Single());
        var row = (await _factory.LedgerAsync()).Single(r => r.RequestId == response.Headers.GetValues("x-costconsole-request-id").Single());
        Assert.Equal((0, 1, "small"), (row.Status, row.Fallbacks, row.Tier));
        using var attempts = JsonDocument.Parse(row.AttemptsJson!);
        var steps = attempts.RootElement.EnumerateArray().Select(a => (a.GetProperty("model").GetString(), a.GetProperty("kind").GetString(), a.GetProperty("status").GetInt32())).ToList();
        Assert.Equal(
            [("simulator/gpt-4.1-nano", "First", 500), ("simulator/gpt-4.1-nano", "Retry", 500), ("simulator/gpt-4.1-nano", "Retry", 500), ("simulator/gpt-4.1-mini", "Fallback", 200)],
            steps);
    }

    [Fact]
    public async Task A_deployment_that_keeps_failing_is_skipped_while_its_circuit_is_open()
    {
        Fault("gpt-4.1-nano", p => p with { ErrorRate = 1 });

        // Three calls per request (the first try and two retries): after a few requests the breaker opens.
        for (var i = 0; i < 4; i++)
        {
            using var warmup = await SendAsync(Faq);
            Assert.Equal(HttpStatusCode.OK, warmup.StatusCode);
        }

        using var response = await SendAsync(Faq);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = (await _factory.LedgerAsync()).Single(r => r.RequestId == response.Headers.GetValues("x-costconsole-request-id").Single());
        using var attempts = JsonDocument.Parse(row.AttemptsJson!);
        var first = attempts.RootElement[0];
        Assert.Equal((503, "simulator/gpt-4.1-nano"), (first.GetProperty("status").GetInt32(), first.GetProperty("model").GetString()));
        Assert.StartsWith("skipped: circuit open", first.GetProperty("outcome").GetString(), StringComparison.Ordinal);
        Assert.Equal("simulator/gpt-4.1-mini", attempts.RootElement[1].GetProperty("model").GetString());
    }

    [Fact]
    public async Task A_rate_limit_with_a_short_retry_after_is_waited_for_and_retried()
    {
        Fault("gpt-4.1-nano", p => p with { RateLimitRate = 1, RetryAfterSeconds = 1 });

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var response = await SendAsync(Faq);
        var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = (await _factory.LedgerAsync()).Single(r => r.RequestId == response.Headers.GetValues("x-costconsole-request-id").Single());
        using var attempts = JsonDocument.Parse(row.AttemptsJson!);
        Assert.Equal(["First", "Retry", "Retry", "Fallback"], attempts.RootElement.EnumerateArray().Select(a => a.GetProperty("kind").GetString()));

        // Two waits of the 1 s Retry-After, not the 200 ms backoff.
        Assert.True(elapsed >= TimeSpan.FromSeconds(1.9), $"The retries waited only {elapsed.TotalMilliseconds:0} ms.");
    }

    [Fact]
    public async Task A_rate_limit_with_a_long_retry_after_falls_back_at_once()
    {
        Fault("gpt-4.1-nano", p => p with { RateLimitRate = 1, RetryAfterSeconds = 30 });

        using var response = await SendAsync(Faq);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = (await _factory.LedgerAsync()).Single(r => r.RequestId == response.Headers.GetValues("x-costconsole-request-id").Single());
        using var attempts = JsonDocument.Parse(row.AttemptsJson!);
        Assert.Equal(["First", "Fallback"], attempts.RootElement.EnumerateArray().Select(a => a.GetProperty("kind").GetString()));
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
        using var attempts = JsonDocument.Parse(row.AttemptsJson!);
        Assert.Equal(9, attempts.RootElement.GetArrayLength());
        Assert.All(attempts.RootElement.EnumerateArray(), a => Assert.Equal(500, a.GetProperty("status").GetInt32()));
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
    public async Task A_slowed_down_model_past_its_timeout_falls_back_without_retrying()
    {
        // The healthy models answer in about a fifth of a second; the slowed one would take half a minute.
        _factory.Simulator.LatencyScale = 0.2;
        Fault("gpt-4.1-nano", p => p with { SlowdownFactor = 1000 });

        using var response = await SendAsync(Faq);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("gpt-4.1-mini", response.Headers.GetValues("x-costconsole-model").Single());
        var row = (await _factory.LedgerAsync()).Single(r => r.RequestId == response.Headers.GetValues("x-costconsole-request-id").Single());
        using var attempts = JsonDocument.Parse(row.AttemptsJson!);
        var steps = attempts.RootElement.EnumerateArray().Select(a => (a.GetProperty("kind").GetString(), a.GetProperty("status").GetInt32())).ToList();
        Assert.Equal([("First", 504), ("Fallback", 200)], steps);
    }

    [Fact]
    public async Task When_every_model_is_rate_limited_the_client_gets_502_naming_each_attempt()
    {
        FaultAll(p => p with { RateLimitRate = 1, RetryAfterSeconds = 60 });

        using var response = await SendAsync(Faq);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var message = error.RootElement.GetProperty("error").GetProperty("message").GetString()!;
        Assert.Contains("simulator/gpt-4.1-nano: rate limited (retry after 60 s)", message, StringComparison.Ordinal);
        var row = (await _factory.LedgerAsync()).Single(r => r.RequestId == response.Headers.GetValues("x-costconsole-request-id").Single());
        using var attempts = JsonDocument.Parse(row.AttemptsJson!);
        Assert.Equal(3, attempts.RootElement.GetArrayLength());
        Assert.All(attempts.RootElement.EnumerateArray(), a => Assert.Equal(429, a.GetProperty("status").GetInt32()));
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
    public async Task A_held_back_stream_cut_before_the_client_saw_a_byte_is_retried_and_falls_back()
    {
        // The small tier has quality gates, so its stream is held back until it passes them: a cut costs the client nothing.
        Fault("gpt-4.1-nano", p => p with { StreamCutRate = 1 });

        using var client = _factory.CreateApiClient();
        using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", stream = true, messages = new[] { new { role = "user", content = "Where is my order?" } } }, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
        var row = (await _factory.LedgerAsync()).Single(r => r.RequestId == response.Headers.GetValues("x-costconsole-request-id").Single());
        using var attempts = JsonDocument.Parse(row.AttemptsJson!);
        var steps = attempts.RootElement.EnumerateArray().Select(a => (a.GetProperty("kind").GetString(), a.GetProperty("status").GetInt32())).ToList();
        Assert.Equal([("First", 502), ("Retry", 502), ("Retry", 502), ("Fallback", 200)], steps);
        Assert.Equal((0, "simulator/gpt-4.1-mini"), (row.Status, row.Model));
    }

    [Fact]
    public async Task A_stream_cut_mid_way_ends_with_an_error_event_and_is_recorded_as_failed()
    {
        Fault("gpt-4.1-nano", p => p with { StreamCutRate = 1 });

        // Pinned to one model, nothing is held back: the client has bytes when the cut comes.
        using var client = _factory.CreateApiClient();
        using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "simulator/gpt-4.1-nano", stream = true, messages = new[] { new { role = "user", content = "Where is my order?" } } }, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Contains("upstream_stream_broken", body, StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", body, StringComparison.Ordinal);
        var row = (await _factory.LedgerAsync()).Single(r => r.RequestId == response.Headers.GetValues("x-costconsole-request-id").Single());
        Assert.Equal((1, 502), (row.Status, row.HttpStatus));
    }
}
