using CostConsole.Web.Access;
using MudBlazor;

namespace CostConsole.Web.Components.Layout;

/// <summary>A menu entry and the policy a user needs to see it (the page itself requires the same).</summary>
public sealed record ConsoleMenuEntry(string Href, string Label, string Icon, string Policy, bool Exact = false);

/// <summary>The console's pages in menu order.</summary>
public static class ConsoleMenu
{
    public static IReadOnlyList<ConsoleMenuEntry> Entries { get; } =
    [
        new("/", "Dashboard", Icons.Material.Filled.Insights, Policies.ViewSpend, Exact: true),
        new("/spend", "Spend", Icons.Material.Filled.Leaderboard, Policies.ViewSpend),
        new("/what-if", "What if", Icons.Material.Filled.Calculate, Policies.ViewSpend),
        new("/routing", "Routing", Icons.Material.Filled.AltRoute, Policies.ViewRouting),
        new("/cache", "Cache", Icons.Material.Filled.Cached, Policies.ManageRouting),
        new("/catalogue", "Catalogue", Icons.Material.Filled.MenuBook, Policies.ViewCatalogue),
        new("/playground", "Playground", Icons.Material.Filled.Forum, Policies.UsePlayground),
        new("/batches", "Batches", Icons.Material.Filled.Inventory2, Policies.UsePlayground),
        new("/experiments", "Experiments", Icons.Material.Filled.Science, Policies.ViewExperiments),
        new("/requests", "Requests", Icons.Material.Filled.ManageSearch, Policies.ViewSpend),
        new("/review", "Review queue", Icons.Material.Filled.RateReview, Policies.ReviewFeedback),
        new("/budgets", "Budgets", Icons.Material.Filled.Savings, Policies.ManageBudgets),
        new("/alerts", "Alert rules", Icons.Material.Filled.NotificationsActive, Policies.ManageBudgets),
        new("/keys", "API keys", Icons.Material.Filled.Key, Policies.ManageKeys),
        new("/users", "Users", Icons.Material.Filled.People, Policies.ManageUsers),
        new("/settings", "Settings", Icons.Material.Filled.Settings, Policies.ManageSettings),
    ];
}
