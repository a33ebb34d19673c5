using Bunit;
using CostConsole.Data.Entities;
using CostConsole.Routing.Pipeline;
using CostConsole.Web.Components.Requests;
using CostConsole.Web.Requests;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Components;

/// <summary>The request trace says whether a Responses or Messages answer was the provider's own (passthrough) or translated.</summary>
public sealed class RequestTracePassthroughTests : ConsoleTestContext
{
    private IRenderedComponent<RequestTrace> RenderTrace(string protocol, params AttemptRecord[] attempts)
    {
        Services.AddSingleton(new CostConsole.Web.Experiments.FeedbackService(Database.Factory, TimeProvider.System));
        var row = new RequestLogRow
        {
            RequestId = "req_passthroughaaaaaaaaaaaaaaaaaaaaaaa",
            Timestamp = DateTimeOffset.UtcNow,
            Status = (int)LedgerStatus.Answered,
            HttpStatus = 200,
            Protocol = protocol,
            Model = attempts[^1].Model,
        };
        return Render<RequestTrace>(p => p.Add(c => c.Detail, new RequestDetail(row, "support", attempts)));
    }

    private static AttemptRecord Answered(string model, bool passedThrough, AttemptKind kind = AttemptKind.First) =>
        new(model, model.Split('/')[0], "small", 200, "answered", 12, 30, 0.0001m, 40) { Kind = kind, PassedThrough = passedThrough };

    [Fact]
    public void A_responses_answer_the_provider_gave_in_its_own_api_is_shown_as_passthrough()
    {
        var cut = RenderTrace(ClientProtocols.Responses, Answered("simulator/gpt-4.1-nano", passedThrough: true));

        Assert.Equal("(passthrough)", cut.Find("[data-testid='trace-relay']").TextContent.Trim());
        Assert.Contains("answered, passed through", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void A_messages_answer_that_fell_back_to_a_chat_only_provider_is_shown_as_translated()
    {
        var failed = new AttemptRecord("edge/edge-small", "edge", "small", 500, "HTTP 500: down", 0, 0, 0m, 10);
        var cut = RenderTrace(ClientProtocols.Messages, failed, Answered("simulator/gpt-4.1-nano", passedThrough: false, AttemptKind.Fallback));

        Assert.Equal("(translated)", cut.Find("[data-testid='trace-relay']").TextContent.Trim());
        Assert.DoesNotContain("passed through", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void A_chat_completions_request_says_nothing_of_passthrough()
    {
        var cut = RenderTrace(ClientProtocols.ChatCompletions, Answered("simulator/gpt-4.1-nano", passedThrough: false));

        Assert.Empty(cut.FindAll("[data-testid='trace-relay']"));
    }
}
