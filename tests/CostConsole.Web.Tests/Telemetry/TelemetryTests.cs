using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Telemetry;
using CostConsole.Simulator;
using Microsoft.Extensions.DependencyInjection;
using static CostConsole.Routing.Telemetry.TelemetryNames;

namespace CostConsole.Web.Tests.Telemetry;

/// <summary>
/// What an operator's tracing and metrics backends receive for each kind of request, read from the OpenTelemetry SDK's
/// exported spans and the app's instruments: names and values of the GenAI conventions, and CostConsole's own.
/// </summary>
public sealed class TelemetryTests : IClassFixture<TracedFactory>, IDisposable
{
    private const string Faq = "Where is my order? Tracking please.";

    private const string Hard =
        "Analyze the root cause of the churn in our enterprise segment, compare the retention strategy options and their trade-offs, "
        + "forecast the revenue impact step by step and recommend an action plan.";

    private readonly TracedFactory _factory;
    private readonly List<SimulatedModelProfile> _original;
    private readonly Measurements _measurements;

    public TelemetryTests(TracedFactory factory)
    {
        _factory = factory;
        factory.Services.GetRequiredService<DeploymentResilience>().Reset();
        _original = [.. factory.Simulator.Models];
        _measurements = new Measurements(factory.Services);
    }

    public void Dispose()
    {
        _measurements.Dispose();
        foreach (var profile in _original)
        {
            _factory.Simulator.Update(profile);
        }
    }

    private sealed record Sent(HttpResponseMessage Response, string RequestId, ActivityTraceId Trace, RequestLogRow Row);

    /// <summary>Sends a chat request as a traced caller would: with a W3C <c>traceparent</c> of its own.</summary>
    private async Task<Sent> SendAsync(string model, string prompt, string? key = CostConsole.Web.Tests.Infrastructure.CostConsoleFactory.ApiKey)
    {
        var trace = ActivityTraceId.CreateRandom();
        var span = ActivitySpanId.CreateRandom();
        using var client = _factory.CreateApiClient(key);
        using var message = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new { model, messages = new[] { new { role = "user", content = prompt } } }),
        };

        // The caller's own span: its HttpClient sends its W3C context in traceparent.
        using var caller = new Activity("caller").SetParentId(trace, span, ActivityTraceFlags.Recorded).Start();
        var response = await client.SendAsync(message, TestContext.Current.CancellationToken);
        await response.Content.LoadIntoBufferAsync(TestContext.Current.CancellationToken);
        caller.Stop();
        var id = response.Headers.GetValues("x-costconsole-request-id").Single();
        var row = (await _factory.LedgerAsync()).Single(r => r.RequestId == id);
        return new Sent(response, id, trace, row);
    }

    private static List<Activity> AttemptsOf(IEnumerable<Activity> spans, Activity request) =>
        [.. spans.Where(s => s.ParentSpanId == request.SpanId && s.GetTagItem(Attempt) is not null).OrderBy(s => s.StartTimeUtc)];

    private static Measured Single(IEnumerable<Measured> measured, params (string Tag, object? Value)[] tags) =>
        Assert.Single(measured, m => tags.All(t => Equals(m[t.Tag], t.Value)));

    [Fact]
    public async Task An_answered_request_is_one_chat_span_in_the_callers_trace_with_tokens_and_cost_and_a_call_span_whose_context_reaches_the_model()
    {
        var sent = await SendAsync("auto", Faq);
        Assert.Equal(HttpStatusCode.OK, sent.Response.StatusCode);
        var answeredBy = sent.Response.Headers.GetValues("x-costconsole-model").Single();

        // The upstream (the simulator, served by the same app) receives the trace context: its server span is in the caller's trace.
        var spans = await _factory.TraceAsync(sent.Trace, s => s.Any(a => a.Kind == ActivityKind.Server && a.GetTagItem("url.path") is "/sim/v1/chat/completions"));
        var request = _factory.RequestSpan(sent.RequestId);
        Assert.NotNull(request);
        Assert.Equal(sent.Trace, request.TraceId);
        Assert.Equal("chat auto", request.DisplayName);
        Assert.Equal("chat", request.GetTagItem(OperationName));
        Assert.Equal("auto", request.GetTagItem(RequestModel));
        Assert.Equal(answeredBy, request.GetTagItem(ResponseModel));
        Assert.Equal(sent.Row.PromptTokens, request.GetTagItem(InputTokens));
        Assert.Equal(sent.Row.CompletionTokens, request.GetTagItem(OutputTokens));
        Assert.Equal(sent.Row.CachedTokens, request.GetTagItem(CachedInputTokens));
        Assert.Equal(sent.Row.Tier, request.GetTagItem(Tier));
        Assert.Equal(sent.Row.Rule, request.GetTagItem(Rule));
        Assert.Equal(sent.Row.RuleSetVersion, request.GetTagItem(RuleSetVersion));
        Assert.Equal((double)Money.FromNanoUsd(sent.Row.CostNanoUsd), (double)request.GetTagItem(Cost)!, 9);
        Assert.Equal((double)Money.FromNanoUsd(sent.Row.BaselineCostNanoUsd), (double)request.GetTagItem(BaselineCost)!, 9);
        Assert.Equal("answered", request.GetTagItem(Status));
        Assert.NotEqual(ActivityStatusCode.Error, request.Status);

        // The request span is the child of the gateway's server span, in the caller's trace.
        var server = spans.Single(s => s.Kind == ActivityKind.Server && s.GetTagItem("url.path") is "/v1/chat/completions");
        Assert.Equal(server.SpanId, request.ParentSpanId);

        var call = Assert.Single(AttemptsOf(spans, request));
        Assert.Equal(("chat " + answeredBy, ActivityKind.Client, "first", "answered"), (call.DisplayName, call.Kind, call.GetTagItem(Attempt), call.GetTagItem(AttemptOutcome)));
        Assert.Equal(sent.Row.PromptTokens, call.GetTagItem(InputTokens));
        var http = spans.Single(s => s.Kind == ActivityKind.Client && s.ParentSpanId == call.SpanId);
        var upstream = spans.Single(s => s.Kind == ActivityKind.Server && s.GetTagItem("url.path") is "/sim/v1/chat/completions");
        Assert.Equal(http.SpanId, upstream.ParentSpanId);

        // Prompts stay out of telemetry unless an operator allows them.
        Assert.DoesNotContain(spans.SelectMany(s => s.TagObjects), t => t.Value is string text && text.Contains("Tracking please", StringComparison.Ordinal));

        var requests = Single(_measurements.Of(RequestsMetric), (Status, "answered"));
        Assert.Equal((1d, "{request}", sent.Row.Tier, answeredBy), (requests.Value, requests.Unit, requests[Tier], requests[TelemetryNames.Model]));
        var cost = Assert.Single(_measurements.Of(CostMetric));
        Assert.Equal(("USD", (double)Money.FromNanoUsd(sent.Row.CostNanoUsd)), (cost.Unit, cost.Value));
        Assert.Equal((double)Money.FromNanoUsd(sent.Row.BaselineCostNanoUsd), Assert.Single(_measurements.Of(BaselineCostMetric)).Value, 9);
        var input = Single(_measurements.Of(TokenUsageMetric), (TokenType, "input"));
        var output = Single(_measurements.Of(TokenUsageMetric), (TokenType, "output"));
        Assert.Equal(("{token}", (double)sent.Row.PromptTokens, "chat", answeredBy), (input.Unit, input.Value, input[OperationName], input[ResponseModel]));
        Assert.Equal((double)sent.Row.CompletionTokens, output.Value);
        var duration = Assert.Single(_measurements.Of(OperationDurationMetric));
        Assert.Equal(("s", answeredBy, "simulator"), (duration.Unit, duration[ResponseModel], duration[ProviderName]));
        Assert.Empty(_measurements.Of(FallbacksMetric));
        Assert.Empty(_measurements.Of(EscalationsMetric));
    }

    [Fact]
    public async Task A_request_that_falls_back_shows_each_failed_try_and_the_fallback_that_answered_and_counts_one_fallback()
    {
        _factory.Simulator.Update(_factory.Simulator.Find("gpt-4.1-nano")! with { ErrorRate = 1 });

        var sent = await SendAsync("auto", Faq);

        Assert.Equal(HttpStatusCode.OK, sent.Response.StatusCode);
        Assert.Equal(1, sent.Row.Fallbacks);
        var spans = await _factory.TraceAsync(sent.Trace, s => _factory.RequestSpan(sent.RequestId) is not null);
        var request = _factory.RequestSpan(sent.RequestId)!;
        Assert.Equal("gpt-4.1-mini", request.GetTagItem(ResponseModel));
        Assert.Equal(1, request.GetTagItem(Fallbacks));
        var calls = AttemptsOf(spans, request);
        Assert.Equal(
            [("chat gpt-4.1-nano", "first", 500), ("chat gpt-4.1-nano", "retry", 500), ("chat gpt-4.1-nano", "retry", 500), ("chat gpt-4.1-mini", "fallback", 200)],
            calls.Select(c => (c.DisplayName, (string)c.GetTagItem(Attempt)!, (int)c.GetTagItem(ResponseStatus)!)));
        Assert.All(calls.Take(3), c => Assert.Equal((ActivityStatusCode.Error, "500"), (c.Status, c.GetTagItem(ErrorType))));
        Assert.Equal("answered", calls[3].GetTagItem(AttemptOutcome));

        Assert.Equal(1d, Assert.Single(_measurements.Of(FallbacksMetric)).Value);
        var durations = _measurements.Of(OperationDurationMetric);
        Assert.Equal(3, durations.Count(d => Equals(d[ErrorType], "500") && Equals(d[RequestModel], "gpt-4.1-nano")));
        Assert.Equal("fallback", Single(durations, (ResponseModel, "gpt-4.1-mini"))[Attempt]);
    }

    [Fact]
    public async Task An_escalated_request_shows_the_first_answer_and_the_escalation_and_counts_one_escalation_with_both_costs()
    {
        var sent = await SendAsync("small", Hard);

        Assert.Equal(HttpStatusCode.OK, sent.Response.StatusCode);
        Assert.Equal(1, sent.Row.Escalations);
        var spans = await _factory.TraceAsync(sent.Trace, s => _factory.RequestSpan(sent.RequestId) is not null);
        var request = _factory.RequestSpan(sent.RequestId)!;
        Assert.Equal(("chat small", 1, "small"), (request.DisplayName, request.GetTagItem(Escalations), request.GetTagItem(Tier)));
        var calls = AttemptsOf(spans, request);
        Assert.Equal(["first", "escalation"], calls.Select(c => (string)c.GetTagItem(Attempt)!));
        Assert.Equal(
            (double)Money.FromNanoUsd(sent.Row.CostNanoUsd),
            calls.Sum(c => (double)c.GetTagItem(Cost)!),
            9);

        Assert.Equal(1d, Assert.Single(_measurements.Of(EscalationsMetric)).Value);
        Assert.Equal((double)Money.FromNanoUsd(sent.Row.CostNanoUsd), Assert.Single(_measurements.Of(CostMetric)).Value, 9);
        Assert.Equal(["first", "escalation"], _measurements.Of(TokenUsageMetric).Where(m => Equals(m[TokenType], "input")).Select(m => (string)m[Attempt]!));
    }

    [Fact]
    public async Task A_rejected_request_is_an_error_span_with_the_error_code_and_is_counted_as_rejected_without_cost()
    {
        var noKey = await SendAsync("auto", Faq, key: null);
        var unknown = await SendAsync("no-such-model", Faq);

        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.NotFound), (noKey.Response.StatusCode, unknown.Response.StatusCode));
        await _factory.TraceAsync(unknown.Trace, s => _factory.RequestSpan(unknown.RequestId) is not null);
        var refused = _factory.RequestSpan(noKey.RequestId)!;
        var notFound = _factory.RequestSpan(unknown.RequestId)!;
        Assert.Equal(("chat", "rejected", "invalid_api_key", 401, ActivityStatusCode.Error), (refused.DisplayName, refused.GetTagItem(Status), refused.GetTagItem(ErrorType), refused.GetTagItem(ResponseStatus), refused.Status));
        Assert.Equal(noKey.Trace, refused.TraceId);
        Assert.Equal(("chat no-such-model", "rejected", "model_not_found", ActivityStatusCode.Error), (notFound.DisplayName, notFound.GetTagItem(Status), notFound.GetTagItem(ErrorType), notFound.Status));
        Assert.DoesNotContain(_factory.Spans, s => s.ParentSpanId == notFound.SpanId);

        var rejected = _measurements.Of(RequestsMetric);
        Assert.Equal(2, rejected.Count(m => Equals(m[Status], "rejected")));
        Assert.All(_measurements.Of(CostMetric), c => Assert.Equal(0d, c.Value));
        Assert.Empty(_measurements.Of(TokenUsageMetric));
    }
}
