using System.Net;
using System.Text.RegularExpressions;
using CostConsole.Web.Access;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Access;

/// <summary>A console started with no admin in its configuration.</summary>
public sealed class NoAdminConsoleFactory() : CostConsoleFactory(new Dictionary<string, string?>
{
    ["CostConsole:Admin:Email"] = "",
    ["CostConsole:Admin:Password"] = "",
});

public sealed class FirstRunTests(NoAdminConsoleFactory factory) : IClassFixture<NoAdminConsoleFactory>
{
    [Fact]
    public async Task Without_any_user_the_one_time_setup_page_creates_the_first_admin_and_then_disappears()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = factory.BaseAddress };

        using (var signIn = await client.GetAsync("/signin", ct))
        {
            Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
            Assert.Equal("/setup", new Uri(factory.BaseAddress, signIn.Headers.Location!).AbsolutePath);
        }

        var page = await client.GetStringAsync("/setup", ct);
        var token = Regex.Match(page, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        FormUrlEncodedContent Form(string password, string confirm) => new(new Dictionary<string, string>
        {
            ["_handler"] = "setup",
            ["__RequestVerificationToken"] = token,
            ["Input.Email"] = "owner@test.local",
            ["Input.Password"] = password,
            ["Input.Confirm"] = confirm,
        });

        using (var mismatch = await client.PostAsync("/setup", Form("Owner-password-2026", "Owner-password-2027"), ct))
        {
            Assert.Equal(HttpStatusCode.OK, mismatch.StatusCode);
            Assert.Contains("The two passwords differ.", await mismatch.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        }

        using (var created = await client.PostAsync("/setup", Form("Owner-password-2026", "Owner-password-2026"), ct))
        {
            Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        }

        // Signed in as the new admin straight away.
        using (var keys = await client.GetAsync("/keys", ct))
        {
            Assert.Equal(HttpStatusCode.OK, keys.StatusCode);
        }

        // Once someone exists, the setup page only points to sign-in.
        var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = factory.BaseAddress };
        using var again = await anonymous.GetAsync("/setup", ct);
        Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
        Assert.Equal("/signin", new Uri(factory.BaseAddress, again.Headers.Location!).AbsolutePath);
    }
}

/// <summary>Signing out through the account menu is a browser test (AccessFlowTests); here, what a forged sign-out gets.</summary>
public sealed class SignOutTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    [Fact]
    public async Task A_sign_out_without_the_form_token_is_refused()
    {
        var client = await factory.CreateConsoleClientAsync(Roles.FinOps);

        using var signOut = await client.PostAsync("/signout", null, TestContext.Current.CancellationToken);
        using var after = await client.GetAsync("/budgets", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, signOut.StatusCode);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }
}

/// <summary>Several people (or a script) submitting the first-run form at the same moment, on SQLite.</summary>
public sealed class FirstRunRaceTests(NoAdminConsoleFactory factory) : FirstRunRace(factory), IClassFixture<NoAdminConsoleFactory>;

/// <summary>Several people (or a script) submitting the first-run form at the same moment, on any database.</summary>
public abstract class FirstRunRace(CostConsoleFactory factory)
{
    [Fact]
    public async Task Of_five_setup_forms_sent_at_once_exactly_one_creates_an_admin_and_the_others_are_told_it_is_already_set_up()
    {
        var ct = TestContext.Current.CancellationToken;
        var forms = new List<(HttpClient Client, FormUrlEncodedContent Form)>();
        for (var i = 0; i < 5; i++)
        {
            var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = factory.BaseAddress };
            var page = await client.GetStringAsync("/setup", ct);
            var token = Regex.Match(page, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
            forms.Add((client, new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["_handler"] = "setup",
                ["__RequestVerificationToken"] = token,
                ["Input.Email"] = $"owner{i}@test.local",
                ["Input.Password"] = "Owner-password-2026",
                ["Input.Confirm"] = "Owner-password-2026",
            })));
        }

        var responses = await Task.WhenAll(forms.Select(f => f.Client.PostAsync("/setup", f.Form, ct)));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Redirect);
        foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.Redirect))
        {
            Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
            Assert.Contains("already set up", await refused.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        }

        await using var scope = factory.Services.CreateAsyncScope();
        var users = await scope.ServiceProvider.GetRequiredService<UserService>().ListAsync();
        var admin = Assert.Single(users);
        Assert.Equal(Roles.Admin, admin.Role);
    }
}

/// <summary>A setup form left open in a second tab, sent after someone else finished the first run.</summary>
public sealed class LateSetupFormTests(NoAdminConsoleFactory factory) : IClassFixture<NoAdminConsoleFactory>
{
    [Fact]
    public async Task A_setup_form_sent_after_the_first_admin_exists_is_told_the_console_is_already_set_up()
    {
        var ct = TestContext.Current.CancellationToken;
        var (first, firstForm) = await OpenSetupFormAsync("owner@test.local", ct);
        var (late, lateForm) = await OpenSetupFormAsync("someone@test.local", ct);

        using (var created = await first.PostAsync("/setup", firstForm, ct))
        {
            Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        }

        using var refused = await late.PostAsync("/setup", lateForm, ct);

        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Contains("already set up", await refused.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        await using var scope = factory.Services.CreateAsyncScope();
        Assert.Equal("owner@test.local", Assert.Single(await scope.ServiceProvider.GetRequiredService<UserService>().ListAsync()).Email);
    }

    private async Task<(HttpClient Client, FormUrlEncodedContent Form)> OpenSetupFormAsync(string email, CancellationToken ct)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = factory.BaseAddress };
        var page = await client.GetStringAsync("/setup", ct);
        var token = Regex.Match(page, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        return (client, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "setup",
            ["__RequestVerificationToken"] = token,
            ["Input.Email"] = email,
            ["Input.Password"] = "Owner-password-2026",
            ["Input.Confirm"] = "Owner-password-2026",
        }));
    }
}
