using CostConsole.Data.Keys;
using Microsoft.AspNetCore.Authorization;

namespace CostConsole.Web.Access;

/// <summary>The console's roles. A user has one.</summary>
public static class Roles
{
    public const string Admin = "Admin";
    public const string FinOps = "FinOps";
    public const string SupportLead = "SupportLead";

    public static IReadOnlyList<string> All { get; } = [Admin, FinOps, SupportLead];

    public static string Display(string role) => role switch
    {
        SupportLead => "Support lead",
        _ => role,
    };

    public static string Describe(string role) => role switch
    {
        Admin => "Everything: routing, catalogue, keys, budgets, users",
        FinOps => "Dashboards, requests, budgets, exports and experiment results; routing read-only",
        SupportLead => "Playground, experiments and feedback; routing and catalogue read-only",
        _ => "",
    };
}

/// <summary>
/// What each part of the console requires. Pages carry <c>[Authorize(Policy = …)]</c>, the menu shows an entry only
/// under the same policy, and services check it again before they change anything.
/// </summary>
public static class Policies
{
    /// <summary>Dashboard, request explorer, CSV exports. Admin, FinOps.</summary>
    public const string ViewSpend = nameof(ViewSpend);

    /// <summary>See rule sets, classifiers and tier mappings. Every role.</summary>
    public const string ViewRouting = nameof(ViewRouting);

    /// <summary>Edit and publish rule sets, roll back. Admin.</summary>
    public const string ManageRouting = nameof(ManageRouting);

    /// <summary>See providers, models and prices. Admin, Support lead.</summary>
    public const string ViewCatalogue = nameof(ViewCatalogue);

    /// <summary>Change providers, models and prices; import. Admin.</summary>
    public const string ManageCatalogue = nameof(ManageCatalogue);

    /// <summary>Budgets and their alerts. Admin, FinOps.</summary>
    public const string ManageBudgets = nameof(ManageBudgets);

    /// <summary>Virtual API keys. Admin.</summary>
    public const string ManageKeys = nameof(ManageKeys);

    /// <summary>Console users and their roles. Admin.</summary>
    public const string ManageUsers = nameof(ManageUsers);

    /// <summary>Sample traffic and dashboard upkeep. Admin.</summary>
    public const string ManageSettings = nameof(ManageSettings);

    /// <summary>The playground. Admin, Support lead.</summary>
    public const string UsePlayground = nameof(UsePlayground);

    /// <summary>Create, start and stop experiments. Admin, Support lead.</summary>
    public const string RunExperiments = nameof(RunExperiments);

    /// <summary>Read experiment results. Admin, Support lead, FinOps.</summary>
    public const string ViewExperiments = nameof(ViewExperiments);

    /// <summary>Review answers and feedback. Admin, Support lead.</summary>
    public const string ReviewFeedback = nameof(ReviewFeedback);

    /// <summary>HTTP APIs of spend (metrics export): a signed-in Admin or FinOps, or an API key with the reporting scope.</summary>
    public const string SpendApi = nameof(SpendApi);

    /// <summary>HTTP APIs of routing (route explain): any signed-in role, or an API key with the inference scope.</summary>
    public const string RoutingApi = nameof(RoutingApi);

    /// <summary>HTTP APIs of the catalogue (export): a signed-in Admin or Support lead, or an API key with the reporting scope.</summary>
    public const string CatalogueApi = nameof(CatalogueApi);

    /// <summary>An experiment's export: a role that reads experiment results, or an API key with organisation-wide reporting.</summary>
    public const string ExperimentsApi = nameof(ExperimentsApi);

    /// <summary>HTTP APIs of escalation (evaluate a policy on a labelled file): a signed-in Admin, or an API key with every scope.</summary>
    public const string EscalationApi = nameof(EscalationApi);

    /// <summary>HTTP APIs that train and evaluate the router from labelled files: a signed-in Admin, or an API key with every scope.</summary>
    public const string RouterTrainingApi = nameof(RouterTrainingApi);

    /// <summary>HTTP APIs of personal data (erasure): a signed-in Admin, or an API key with every scope.</summary>
    public const string PrivacyApi = nameof(PrivacyApi);

    /// <summary>Which roles each console policy admits.</summary>
    public static IReadOnlyDictionary<string, string[]> RolesFor { get; } = new Dictionary<string, string[]>
    {
        [ViewSpend] = [Roles.Admin, Roles.FinOps],
        [ViewRouting] = [Roles.Admin, Roles.FinOps, Roles.SupportLead],
        [ManageRouting] = [Roles.Admin],
        [ViewCatalogue] = [Roles.Admin, Roles.SupportLead],
        [ManageCatalogue] = [Roles.Admin],
        [ManageBudgets] = [Roles.Admin, Roles.FinOps],
        [ManageKeys] = [Roles.Admin],
        [ManageUsers] = [Roles.Admin],
        [ManageSettings] = [Roles.Admin],
        [UsePlayground] = [Roles.Admin, Roles.SupportLead],
        [RunExperiments] = [Roles.Admin, Roles.SupportLead],
        [ViewExperiments] = [Roles.Admin, Roles.SupportLead, Roles.FinOps],
        [ReviewFeedback] = [Roles.Admin, Roles.SupportLead],
    };

    /// <summary>The console policy each HTTP API policy extends with API-key callers, and the scopes such a key needs.</summary>
    private static readonly (string Api, string Console, KeyScopes Scopes)[] ApiPolicies =
    [
        (SpendApi, ViewSpend, KeyScopes.Reporting),
        (RoutingApi, ViewRouting, KeyScopes.Inference),
        (CatalogueApi, ViewCatalogue, KeyScopes.Reporting),
        (ExperimentsApi, ViewExperiments, KeyScopes.Reporting | KeyScopes.Organisation),
        (EscalationApi, ManageRouting, KeyScopes.All),
        (RouterTrainingApi, ManageRouting, KeyScopes.All),
        (PrivacyApi, ManageSettings, KeyScopes.All),
    ];

    /// <summary>The scopes an API key needs for an HTTP API policy; null for a console-only policy.</summary>
    public static KeyScopes? KeyScopesFor(string? policy) =>
        Array.FindIndex(ApiPolicies, p => p.Api == policy) is >= 0 and var i ? ApiPolicies[i].Scopes : null;

    public static void Configure(AuthorizationOptions options)
    {
        foreach (var (name, roles) in RolesFor)
        {
            options.AddPolicy(name, p => p.RequireAuthenticatedUser().RequireRole(roles));
        }

        foreach (var (api, console, scopes) in ApiPolicies)
        {
            var roles = RolesFor[console];
            options.AddPolicy(api, p => p
                .AddAuthenticationSchemes(ApiKeyAuthentication.ApiOrCookieScheme)
                .RequireAuthenticatedUser()
                .RequireAssertion(c => ApiKeyAuthentication.ScopesOf(c.User) is { } held ? (held & scopes) == scopes : roles.Any(c.User.IsInRole)));
        }
    }

    /// <summary>The first page a role can open: the dashboard, or routing for roles that do not see spend.</summary>
    public static string Landing(System.Security.Claims.ClaimsPrincipal user) =>
        RolesFor[ViewSpend].Any(user.IsInRole) ? "/" : "/routing";
}
