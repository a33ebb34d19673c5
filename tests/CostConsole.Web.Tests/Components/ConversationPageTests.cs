using Bunit;
using Bunit.TestDoubles;
using CostConsole.Web.Requests;
using CostConsole.Web.Tests.Requests;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using ConversationPage = CostConsole.Web.Components.Pages.Conversation;

namespace CostConsole.Web.Tests.Components;

public sealed class ConversationPageTests : ConsoleTestContext
{
    private async Task<IRenderedComponent<ConversationPage>> RenderAtAsync(string id, int? page = null)
    {
        await ConversationViewTests.SeedAsync(Database.Factory);
        Services.AddSingleton(new ConversationView(Database.Factory));
        Services.AddSingleton(new RequestExplorer(Database.Factory));
        Services.AddSingleton(new CostConsole.Web.Experiments.FeedbackService(Database.Factory, TimeProvider.System));
        Services.GetRequiredService<NavigationManager>().NavigateTo(ConversationView.Url(id) + (page is { } p ? $"?page={p}" : ""));
        Render<MudPopoverProvider>();
        return Render<ConversationPage>(parameters => parameters.Add(c => c.ConversationId, id));
    }

    private static List<string> Column(IRenderedComponent<ConversationPage> cut, string testId) =>
        [.. cut.FindAll($"[data-testid='{testId}']").Select(c => c.TextContent.Trim())];

    [Fact]
    public async Task A_long_conversation_shows_its_totals_the_first_fifty_turns_and_a_chart_of_their_cost()
    {
        var cut = await RenderAtAsync("runaway");

        cut.WaitForAssertion(() => Assert.Equal(50, Column(cut, "turn-number").Count));
        Assert.Equal(["1", "2", "3"], Column(cut, "turn-number").Take(3));
        Assert.Equal(["$0.0100", "$0.0200", "$0.0300"], Column(cut, "turn-cost").Take(3));
        Assert.Equal("large · simulator/gpt-4.1", Column(cut, "turn-model")[9]);
        Assert.Equal("1", Column(cut, "turn-escalations")[9]);
        var summary = cut.Find("[data-testid='conversation-summary']").TextContent;
        Assert.Contains("120 turns", summary, StringComparison.Ordinal);
        Assert.Contains("$72.6000 spent against a baseline of $145.20, $72.6000 saved", summary, StringComparison.Ordinal);
        Assert.Contains("12 escalations", summary, StringComparison.Ordinal);
        Assert.Contains("End user: customer-42", summary, StringComparison.Ordinal);
        Assert.Equal("line", cut.Find("[data-testid='chart-conversation']").GetAttribute("data-chart"));
        Assert.Single(cut.FindAll("[data-testid='conversation-pages']"));
    }

    [Fact]
    public async Task The_page_number_in_the_address_opens_the_later_turns_and_the_pager_moves_it()
    {
        var cut = await RenderAtAsync("runaway", page: 3);

        cut.WaitForAssertion(() => Assert.Equal(Enumerable.Range(101, 20).Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)), Column(cut, "turn-number")));

        cut.FindAll("[data-testid='conversation-pages'] button").First(b => b.TextContent.Trim() == "2").Click();
        Assert.EndsWith("/conversations/runaway?page=2", Services.GetRequiredService<BunitNavigationManager>().Uri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Opening_a_turn_shows_its_trace_with_its_conversation_and_end_user()
    {
        var cut = await RenderAtAsync("runaway");
        cut.WaitForAssertion(() => Assert.Equal(50, Column(cut, "turn-number").Count));

        cut.FindAll("[data-testid='conversation-turns'] tbody tr")[0].Click();

        cut.WaitForAssertion(() => Assert.Equal("req_turn001" + new string('a', 24), cut.Find("[data-testid='trace-request-id']").TextContent.Trim()));
        Assert.Equal("customer-42", cut.Find("[data-testid='trace-end-user']").TextContent.Trim());
        Assert.Equal("/conversations/runaway", cut.Find("[data-testid='trace-conversation']").GetAttribute("href"));
    }

    [Fact]
    public async Task An_unknown_conversation_says_where_ids_come_from()
    {
        var cut = await RenderAtAsync("never-seen");

        cut.WaitForAssertion(() => Assert.Contains("No request in the ledger carries the conversation id never-seen", cut.Find("[data-testid='conversation-empty']").TextContent, StringComparison.Ordinal));
        Assert.Empty(cut.FindAll("[data-testid='conversation-turns']"));
    }
}
