using Bunit;
using CostConsole.Web.Alerts;
using CostConsole.Web.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using AlertRulesPage = CostConsole.Web.Components.Pages.AlertRules;

namespace CostConsole.Web.Tests.Components;

public sealed class AlertRulesPageTests : ConsoleTestContext
{
    private async Task<IRenderedComponent<AlertRulesPage>> RenderPageAsync(string? smtpHost = null)
    {
        string connectionString;
        await using (var db = await Database.Factory.CreateDbContextAsync())
        {
            connectionString = db.Database.GetConnectionString()!;
        }

        var history = new MetricsHistory(new CostConsole.Data.Database.CostConsoleDatabase(CostConsole.Data.Database.DatabaseProvider.Sqlite, connectionString), Database.Routing, Database.Factory);
        Services.AddSingleton(history);
        Services.AddSingleton(new AlertRuleService(Database.Factory, history, TimeProvider.System, Microsoft.Extensions.Options.Options.Create(new AlertEmailOptions { Host = smtpHost })));
        Render<MudPopoverProvider>();
        return Render<AlertRulesPage>();
    }

    private static AngleSharp.Dom.IElement Field(IRenderedComponent<AlertRulesPage> page, string id) =>
        page.Find($"input[data-testid='{id}'], [data-testid='{id}'] input");

    [Fact]
    public async Task A_rule_without_a_name_is_refused_under_its_field_and_a_complete_one_is_listed_with_its_condition_in_words()
    {
        var page = await RenderPageAsync();
        Assert.Contains("No alert rules yet.", page.Markup, StringComparison.Ordinal);

        page.Find("[data-testid='rule-new']").Click();
        Field(page, "rule-threshold").Change("5");
        await page.Find("[data-testid='rule-save']").ClickAsync(new());
        Assert.Contains("Give the rule a name.", page.Find("[data-testid='rule-form']").TextContent, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid='rule-row']"));

        Field(page, "rule-name").Input("Spend runs hot");
        await page.Find("[data-testid='rule-save']").ClickAsync(new());

        page.WaitForAssertion(() => Assert.Equal("Spend runs hot", page.Find("[data-testid='rule-row-name']").TextContent.Trim()));
        Assert.Equal("Spend per hour of all traffic above $5.00 over 60 min", page.Find("[data-testid='rule-row-condition']").TextContent.Trim());
        Assert.Equal("Not evaluated yet: the next minute evaluates it.", page.Find("[data-testid='rule-row-state']").TextContent.Trim());
        Assert.Empty(page.FindAll("[data-testid='rule-form']"));
    }

    [Fact]
    public async Task Without_an_smtp_server_the_form_offers_no_email_but_the_webhook_payload_and_the_history_link()
    {
        var page = await RenderPageAsync();

        page.Find("[data-testid='rule-new']").Click();

        Assert.Empty(page.FindAll("[data-testid='rule-email']"));
        Assert.Single(page.FindAll("[data-testid='rule-webhook-format']"));
        Assert.Equal("/alerts/history", page.Find("[data-testid='rules-history']").GetAttribute("href"));
    }

    [Fact]
    public async Task With_an_smtp_server_a_bad_address_is_refused_under_its_field_and_good_ones_are_saved_with_the_rule_which_links_to_its_history()
    {
        var page = await RenderPageAsync(smtpHost: "smtp.example.test");
        page.Find("[data-testid='rule-new']").Click();
        Field(page, "rule-name").Input("Spend runs hot");
        Field(page, "rule-threshold").Change("5");
        Field(page, "rule-email").Change("finops@example.test; not an address");

        await page.Find("[data-testid='rule-save']").ClickAsync(new());
        Assert.Contains("'not an address' is not an e-mail address.", page.Find("[data-testid='rule-form']").TextContent, StringComparison.Ordinal);

        Field(page, "rule-email").Change("finops@example.test; oncall@example.test");
        await page.Find("[data-testid='rule-save']").ClickAsync(new());

        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid='rule-row']")));
        var rule = (await Services.GetRequiredService<AlertRuleService>().ListAsync()).Single();
        Assert.Equal("finops@example.test, oncall@example.test", rule.EmailTo);
        Assert.Equal($"/alerts/history?rule={rule.Id}", page.Find("[data-testid='rule-history']").GetAttribute("href"));
    }
}
