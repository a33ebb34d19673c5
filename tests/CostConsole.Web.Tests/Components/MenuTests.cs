using Bunit;
using CostConsole.Web.Access;
using CostConsole.Web.Budgets;
using CostConsole.Web.Components.Layout;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;

namespace CostConsole.Web.Tests.Components;

public sealed class MenuTests : ConsoleTestContext
{
    public MenuTests()
    {
        Services.AddSingleton<IWebHostEnvironment>(new TestEnvironment());
        Services.AddSingleton(new AlertCenter());
        Services.AddSingleton(_ => new CostConsole.Web.Review.ReviewQueue(Database.Factory, TimeProvider.System));
        Services.AddSingleton(_ => new CostConsole.Web.Views.SavedViewService(Database.Factory, TimeProvider.System));

        // The app bar's sample-traffic indicator has tests of its own (DashboardTrafficTests); here it stands empty.
        ComponentFactories.AddStub<CostConsole.Web.Components.Traffic.TrafficIndicator>();
    }

    [Theory]
    [InlineData(Roles.Admin, "Dashboard,Spend,What if,Routing,Cache,Catalogue,Playground,Batches,Experiments,Requests,Review queue,Budgets,Alert rules,API keys,Users,Settings,Saved views,Manage views")]
    [InlineData(Roles.FinOps, "Dashboard,Spend,What if,Routing,Experiments,Requests,Budgets,Alert rules,Saved views,Manage views")]
    [InlineData(Roles.SupportLead, "Routing,Catalogue,Playground,Batches,Experiments,Review queue")]
    public void The_menu_shows_only_what_the_role_may_use(string role, string expected)
    {
        SignInAs(role);

        var layout = Render<MainLayout>(p => p.Add(l => l.Body, "page"));

        var entries = layout.FindAll(".mud-nav-link").Select(e => e.TextContent.Trim());
        Assert.Equal(expected.Split(','), entries);
        Assert.Contains(Roles.Display(role), layout.Find("[data-testid='signed-in-as']").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void The_page_sits_in_the_main_landmark_and_no_menu_button_holds_another_control()
    {
        SignInAs(Roles.Admin);

        var layout = Render<MainLayout>(p => p.Add(l => l.Body, "the page"));

        Assert.Equal("the page", layout.Find("main").TextContent.Trim());
        // A control inside a control is announced as one and leaves an empty tab stop (axe: nested-interactive).
        Assert.Empty(layout.FindAll("[role=button] button, [role=button] a[href], [role=button] [tabindex='0'], button button"));
        Assert.Contains(Roles.Display(Roles.Admin), layout.Find("[data-testid='signed-in-as'] button").TextContent, StringComparison.Ordinal);
        Assert.Equal("Alerts", layout.Find("[data-testid='alert-bell'] button").GetAttribute("aria-label"));
    }

    [Theory]
    [InlineData(Roles.Admin, true)]
    [InlineData(Roles.FinOps, true)]
    [InlineData(Roles.SupportLead, false)]
    public void Only_roles_that_manage_budgets_get_the_alert_bell(string role, bool bell)
    {
        SignInAs(role);

        var layout = Render<MainLayout>(p => p.Add(l => l.Body, "page"));

        Assert.Equal(bell, layout.FindAll("[data-testid='alert-bell']").Count > 0);
    }

    [Fact]
    public async Task The_review_queue_entry_shows_how_many_answers_wait_for_a_person()
    {
        await Database.QueryAsync(async db =>
        {
            foreach (var (id, review) in new[] { ("req_open_1", 1), ("req_open_2", 1), ("req_closed", 2), ("req_plain", 0) })
            {
                db.RequestLog.Add(new CostConsole.Data.Entities.RequestLogRow { RequestId = id, Timestamp = DateTimeOffset.UtcNow, Review = review });
            }

            return await db.SaveChangesAsync();
        });
        SignInAs(Roles.SupportLead);

        var layout = Render<MainLayout>(p => p.Add(l => l.Body, "page"));

        layout.WaitForAssertion(() => Assert.Equal("2", layout.Find("[data-testid='nav-review'] [data-testid='review-count'], [data-testid='review-count']").TextContent.Trim()));
    }

    private sealed class TestEnvironment : IWebHostEnvironment
    {
        public string WebRootPath { get; set; } = "";

        public IFileProvider WebRootFileProvider { get; set; } = new NullFileProvider();

        public string ApplicationName { get; set; } = "CostConsole.Web";

        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();

        public string ContentRootPath { get; set; } = "";

        public string EnvironmentName { get; set; } = "Testing";
    }
}
