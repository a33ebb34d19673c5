using CostConsole.Data;
using CostConsole.Routing.Pipeline;
using CostConsole.Web.Access;
using CostConsole.Web.Api;
using CostConsole.Web.Budgets;
using CostConsole.Web.Keys;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CostConsole.Web.Extensions;

internal static class AccessExtensions
{
    /// <summary>Sign-in and roles for the console, API keys for the HTTP APIs, and budgets as the router's admission control.</summary>
    public static WebApplicationBuilder AddConsoleAccess(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.Section);
        services.AddOptions<ReverseProxyOptions>().BindConfiguration(ReverseProxyOptions.Section)
            .Validate(o => o.IsValid(out _), "CostConsole:ReverseProxy has an address, network or forward limit that cannot be used; see the README's configuration table.")
            .ValidateOnStart();
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ReverseProxyOptions>>((o, proxy) =>
        {
            var settings = proxy.Value;
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            o.ForwardLimit = settings.ForwardLimit;
            if (settings.KnownProxies.Count + settings.KnownNetworks.Count > 0)
            {
                // The ones given replace the loopback default.
                o.KnownProxies.Clear();
                o.KnownIPNetworks.Clear();
                foreach (var address in settings.KnownProxies)
                {
                    o.KnownProxies.Add(System.Net.IPAddress.Parse(address));
                }

                foreach (var network in settings.KnownNetworks)
                {
                    o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
                }
            }
        });
        services.AddIdentity<IdentityUser, IdentityRole>(o =>
            {
                o.User.RequireUniqueEmail = true;
                o.Password.RequiredLength = 10;
                o.Password.RequireNonAlphanumeric = false;
                o.Lockout.AllowedForNewUsers = true;
                o.Lockout.MaxFailedAccessAttempts = 5;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
                o.SignIn.RequireConfirmedAccount = false;
            })
            .AddEntityFrameworkStores<CostConsoleDbContext>()
            .AddDefaultTokenProviders();

        // A disabled user's cookie stops working within a minute, not at its expiry.
        services.Configure<SecurityStampValidatorOptions>(o => o.ValidationInterval = TimeSpan.FromMinutes(1));
        services.ConfigureApplicationCookie(o =>
        {
            o.Cookie.Name = "costconsole.auth";
            // Secure whenever the request is HTTPS, also behind a proxy once CostConsole:ReverseProxy is enabled.
            o.Cookie.SecurePolicy = Microsoft.AspNetCore.Http.CookieSecurePolicy.SameAsRequest;
            o.LoginPath = "/signin";
            o.LogoutPath = "/signout";
            o.AccessDeniedPath = "/denied";
            o.ExpireTimeSpan = TimeSpan.FromHours(12);
            o.SlidingExpiration = true;
            // HTTP APIs answer 401/403 as JSON; only pages send a browser to sign-in.
            o.Events.OnRedirectToLogin = c => IsApi(c.Request) ? ApiErrors.WriteAsync(c.Response, ApiErrors.Unauthorized) : Redirect(c);
            o.Events.OnRedirectToAccessDenied = c => IsApi(c.Request) ? ApiErrors.WriteAsync(c.Response, ApiErrors.Forbidden) : Redirect(c);

            // Signing in follows ?returnUrl= itself; a Location header must be ASCII and stay on this site.
            o.Events.OnRedirectToReturnUrl = c =>
            {
                c.Response.Redirect(LocalReturnUrl.Encode(c.RedirectUri) ?? "/");
                return Task.CompletedTask;
            };
        });
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null)
            .AddPolicyScheme(ApiKeyAuthentication.ApiOrCookieScheme, null, o => o.ForwardDefaultSelector = c =>
                c.Request.Headers.Authorization.Count > 0 ? ApiKeyAuthentication.SchemeName : IdentityConstants.ApplicationScheme);
        services.AddAuthorization(Policies.Configure);
        services.AddCascadingAuthenticationState();
        services.AddScoped<Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider, ConsoleAuthenticationStateProvider>();
        services.AddScoped<ConsoleAccess>();

        services.AddOptions<BudgetOptions>().BindConfiguration(BudgetOptions.Section)
            .Validate(o => o.DefaultMaxTokens > 0, "CostConsole:Budgets:DefaultMaxTokens must be positive.")
            .Validate(o => o.EscalationsReserved is null or (>= 0 and <= 10), "CostConsole:Budgets:EscalationsReserved must be between 0 and 10.")
            .Validate(o => o.ReservationSeconds > 0, "CostConsole:Budgets:ReservationSeconds must be positive.")
            .Validate(o => o.DefaultOutputTokens > 0, "CostConsole:Budgets:DefaultOutputTokens must be positive.")
            .Validate(o => o.OverrunWaitSeconds is >= 0 and <= 120, "CostConsole:Budgets:OverrunWaitSeconds must be between 0 and 120.")
            .Validate(o => o.MaxOverrunUsd is > 0 and <= 1_000_000, "CostConsole:Budgets:MaxOverrunUsd must be more than 0 and at most 1,000,000 USD.")
            .Validate(o => o.WebhookAttempts is >= 1 and <= 20 && o.WebhookRetrySeconds >= 0, "CostConsole:Budgets webhook attempts must be 1–20 and the retry delay not negative.")
            .Validate(o => TryZone(o.TimeZone), "CostConsole:Budgets:TimeZone is not a time zone this machine knows.")
            .ValidateOnStart();
        services.AddHttpClient(AlertDelivery.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(10));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<KeyRateLimiter>();
        services.AddSingleton<AlertCenter>();
        services.AddSingleton<BudgetGuard>();
        services.Replace(ServiceDescriptor.Singleton<IAdmissionControl>(sp => sp.GetRequiredService<BudgetGuard>()));
        services.AddHostedService<BudgetMaintenance>();
        services.AddHostedService<AlertDelivery>();
        services.AddHostedService<KeyUsageFlusher>();
        services.AddSingleton<BudgetService>();
        services.AddSingleton<KeyService>();
        services.AddScoped<UserService>();
        return builder;
    }

    /// <summary>Roles, the first admin from configuration, budgets from the ledger and the latest alerts.</summary>
    public static async Task InitializeAccessAsync(this WebApplication app)
    {
        // Instances starting together on one database create the roles and the first admin once.
        await app.Services.GetRequiredService<CostConsole.Data.Database.CostConsoleDatabase>().RunStartupAsync(async () =>
        {
            await using var scope = app.Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<UserService>().EnsureRolesAndFirstAdminAsync(app.Services.GetRequiredService<IOptions<AdminOptions>>().Value);
        });

        await app.Services.GetRequiredService<BudgetGuard>().ReloadAsync();
        await app.Services.GetRequiredService<AlertCenter>().LoadAsync(app.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>(), CancellationToken.None);
        app.Services.GetRequiredService<StartupSteps>().Done("roles, first admin, budgets and alerts loaded");
    }

    public static WebApplication UseConsoleAccess(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<ReverseProxyOptions>>().Value.Enabled)
        {
            app.UseForwardedHeaders();
        }

        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }

    /// <summary><c>POST /signout</c> (a form with the antiforgery token) ends the session.</summary>
    public static WebApplication MapAccountApi(this WebApplication app)
    {
        app.MapPost("/signout", async (HttpContext context, IAntiforgery antiforgery, SignInManager<IdentityUser> signIn) =>
        {
            if (!await antiforgery.IsRequestValidAsync(context))
            {
                return Results.BadRequest("The sign-out form has expired. Reload the page and try again.");
            }

            await signIn.SignOutAsync();
            return Results.LocalRedirect("/signin");
        }).DisableAntiforgery();
        return app;
    }

    /// <summary>The HTTP APIs: everything under <c>/api</c>, <c>/v1</c>, <c>/hubs</c> and <c>/sim</c>, and every CSV export.</summary>
    internal static bool IsApi(HttpRequest request) =>
        request.Path.StartsWithSegments("/api") || request.Path.StartsWithSegments("/hubs") || request.Path.StartsWithSegments("/v1")
        || request.Path.StartsWithSegments("/sim") || (request.Path.Value?.EndsWith("/export.csv", StringComparison.OrdinalIgnoreCase) ?? false);

    private static Task Redirect(RedirectContext<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions> context)
    {
        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }

    private static bool TryZone(string id)
    {
        try
        {
            TimeZoneInfo.FindSystemTimeZoneById(id);
            return true;
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return false;
        }
    }
}
