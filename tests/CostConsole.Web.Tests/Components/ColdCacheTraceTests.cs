using Bunit;
using CostConsole.Data.Entities;
using CostConsole.Web.Components.Requests;
using CostConsole.Web.Requests;

namespace CostConsole.Web.Tests.Components;

public sealed class ColdCacheTraceTests : ConsoleTestContext
{
    // The feedback panel beside the trace has its own tests.
    public ColdCacheTraceTests() => ComponentFactories.AddStub<CostConsole.Web.Components.Experiments.FeedbackPanel>();

    private static RequestLogRow Row(long coldCacheNanoUsd) => new()
    {
        RequestId = "req_cold",
        Timestamp = new DateTimeOffset(2026, 12, 7, 5, 0, 0, TimeSpan.Zero),
        Status = 0,
        HttpStatus = 200,
        Model = "simulator/gpt-4.1",
        Decision = "rule #1 'billing' matched (conversation affinity: moved off simulator/gpt-4.1-nano (served this conversation 2 min ago) because rule #1 'billing' is marked hard)",
        ColdCacheCostNanoUsd = coldCacheNanoUsd,
    };

    [Fact]
    public void The_trace_of_a_moved_conversation_shows_its_estimated_cold_cache_cost_and_why_it_moved()
    {
        var cut = Render<RequestTrace>(p => p.Add(t => t.Detail, new RequestDetail(Row(1_500_000), null, [])));

        Assert.Equal("$0.001500 estimated, from leaving the warm model", cut.Find("[data-testid=trace-cold-cache]").TextContent.Trim());
        Assert.Contains("because rule #1 'billing' is marked hard", cut.Find("[data-testid=trace-why]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void A_request_that_did_not_move_shows_no_cold_cache_row()
    {
        var cut = Render<RequestTrace>(p => p.Add(t => t.Detail, new RequestDetail(Row(0), null, [])));

        Assert.Empty(cut.FindAll("[data-testid=trace-cold-cache]"));
    }
}
