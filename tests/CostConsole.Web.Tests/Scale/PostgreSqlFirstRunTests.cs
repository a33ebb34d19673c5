using System.Net;
using System.Text.RegularExpressions;
using CostConsole.Web.Access;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Scale;

public sealed class PostgresNoAdminFactory(PostgresServer server) : PostgresConsoleFactory(server, server.NewDatabaseName("firstrun"), new()
{
    ["CostConsole:Admin:Email"] = "",
    ["CostConsole:Admin:Password"] = "",
});

[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlFirstRunTests(PostgresNoAdminFactory factory) : IClassFixture<PostgresNoAdminFactory>
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
        Assert.Equal(Roles.Admin, Assert.Single(users).Role);
    }
}
