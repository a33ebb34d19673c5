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
    }

    [Theory]
    [InlineData(Roles.Admin, "Dashboard,Routing,Catalogue,Experiments,Requests,Budgets,API keys,Users,Settings")]
    [InlineData(Roles.FinOps, "Dashboard,Routing,Experiments,Requests,Budgets")]
    [InlineData(Roles.SupportLead, "Routing,Catalogue,Experiments")]
    public void The_menu_shows_only_what_the_role_may_use(string role, string expected)
    {
        SignInAs(role);

        var layout = Render<MainLayout>(p => p.Add(l => l.Body, "page"));

        var entries = layout.FindAll(".mud-nav-link").Select(e => e.TextContent.Trim());
        Assert.Equal(expected.Split(','), entries);
        Assert.Contains(Roles.Display(role), layout.Find("[data-testid='signed-in-as']").TextContent, StringComparison.Ordinal);
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
