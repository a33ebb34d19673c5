using System.Net;

namespace CostConsole.Web.Tests.Deployment;

/// <summary>
/// wwwroot/docs/deployment.md followed step by step with its three folders in a temporary place: publish, settings,
/// run from another directory, back up while running, stop, restore, start again, upgrade and roll back; and its
/// systemd unit checked by systemd-analyze.
/// </summary>
[Collection(nameof(Shell))]
public sealed class DeploymentPageTests
{
    private const string Page = "wwwroot/docs/deployment.md";

    [Fact]
    public async Task The_deployment_page_works_when_followed_command_by_command()
    {
        var page = Shell.Read(Page);
        var root = Shell.TempFolder("deploy");
        var folders = new Dictionary<string, string>
        {
            ["APP"] = Path.Combine(root, "opt", "costconsole"),
            ["DATA"] = Path.Combine(root, "var", "lib", "costconsole"),
            ["BACKUP"] = Path.Combine(root, "var", "backups", "costconsole"),
        };
        Assert.Equal("APP=/opt/costconsole DATA=/var/lib/costconsole BACKUP=/var/backups/costconsole", Shell.Block(page, "folders").Trim());
        var port = Shell.FreePort();
        var address = new Uri($"http://127.0.0.1:{port}");
        var run = Shell.Block(page, "run").Trim().Replace("127.0.0.1:5080", address.Authority, StringComparison.Ordinal);
        // As the unit file sets it, so the forwarded-headers advice is checked too.
        var service = new Dictionary<string, string>(folders)
        {
            ["ASPNETCORE_FORWARDEDHEADERS_ENABLED"] = "true",
            ["CostConsole__DevApiKey"] = "cc-deploy-test-0123456789",
            ["CostConsole__Admin__Email"] = "admin@deploy.test",
            ["CostConsole__Admin__Password"] = "Deploy-test-password-2026",
        };

        await StepAsync(page, "publish", folders, TimeSpan.FromMinutes(15));
        Assert.True(File.Exists(Path.Combine(folders["APP"], "CostConsole.Web.dll")));
        Assert.False(File.Exists(Path.Combine(folders["APP"], "appsettings.Development.json")));
        await StepAsync(page, "settings", folders, TimeSpan.FromMinutes(1));

        string ledgerRows;
        await using (var app = Shell.StartInBackground(run, "/", service))
        {
            await Shell.WaitHealthyAsync(app, address);
            using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = address };

            // Production: the sign-in page and the static assets are served from the published folder.
            using (var signIn = await http.GetAsync("/signin"))
            {
                Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
            }

            using (var styles = await http.GetAsync("/app.css"))
            {
                Assert.Equal(HttpStatusCode.OK, styles.StatusCode);
            }

            // Behind the proxy: a redirect keeps the client's https scheme.
            using (var behindProxy = new HttpRequestMessage(HttpMethod.Get, "/requests"))
            {
                behindProxy.Headers.Add("X-Forwarded-Proto", "https");
                using var redirect = await http.SendAsync(behindProxy);
                Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
                Assert.Equal("https", redirect.Headers.Location!.Scheme);
            }

            // The configured catalogue replaced the simulator's.
            var models = await SqliteAsync(folders["DATA"], "SELECT group_concat(ModelId, ' ') FROM (SELECT ModelId FROM Models ORDER BY ModelId);");
            Assert.Equal("gpt-4.1 gpt-4.1-mini gpt-4.1-nano", models.Trim());

            // A request refused for an unknown model is a ledger row, so the database holds something of its own.
            using (var chat = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions"))
            {
                chat.Headers.Add("Authorization", "Bearer cc-deploy-test-0123456789");
                chat.Content = new StringContent("""{"model":"no-such-model","messages":[{"role":"user","content":"hi"}]}""", System.Text.Encoding.UTF8, "application/json");
                using var refused = await http.SendAsync(chat);
                Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
            }

            // Back up while it runs.
            var backup = await StepAsync(page, "backup", folders, TimeSpan.FromMinutes(1));
            Assert.Contains("ok", backup, StringComparison.Ordinal);
            Assert.True(Directory.EnumerateFiles(Path.Combine(folders["BACKUP"], "keys")).Any());
            ledgerRows = await SqliteAsync(folders["BACKUP"], "SELECT count(*) FROM RequestLog;");
            Assert.NotEqual("0", ledgerRows);
            await app.StopAsync();
            Assert.True(app.HasExited);
        }

        // Lose the database, restore it, start again: the ledger is back.
        File.Delete(Path.Combine(folders["DATA"], "costconsole.db"));
        await StepAsync(page, "restore", folders, TimeSpan.FromMinutes(1));
        await using (var app = Shell.StartInBackground(run, "/", service))
        {
            await Shell.WaitHealthyAsync(app, address);
            Assert.Equal(ledgerRows, await SqliteAsync(folders["DATA"], "SELECT count(*) FROM RequestLog;"));
        }

        await StepAsync(page, "upgrade", folders, TimeSpan.FromMinutes(15));
        Assert.True(File.Exists(Path.Combine(folders["APP"] + ".previous", "CostConsole.Web.dll")));
        await StepAsync(page, "roll back", folders, TimeSpan.FromMinutes(1));
        Assert.True(File.Exists(Path.Combine(folders["APP"], "appsettings.Production.json")));
        Assert.False(Directory.Exists(folders["APP"] + ".previous"));
    }

    [Fact]
    public async Task The_deployment_page_systemd_unit_passes_systemd_analyze()
    {
        var unit = Shell.FencedBlocks(Shell.Read(Page), "ini").Single();
        var folder = Shell.TempFolder("unit");
        var file = Path.Combine(folder, "costconsole.service");
        await File.WriteAllTextAsync(file, unit, TestContext.Current.CancellationToken);

        var result = await Shell.RunAsync($"systemd-analyze verify '{file}' 2>&1", folder, null, TimeSpan.FromMinutes(1));

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Output.Trim());
        Assert.Contains("ExecStart=/usr/bin/dotnet /opt/costconsole/CostConsole.Web.dll", unit, StringComparison.Ordinal);
        Assert.Contains("Environment=CostConsole__DataFolder=/var/lib/costconsole", unit, StringComparison.Ordinal);
    }

    private static async Task<string> StepAsync(string page, string name, IReadOnlyDictionary<string, string> folders, TimeSpan timeout)
    {
        var result = await Shell.RunAsync(Shell.Block(page, name), Shell.RepositoryRoot, folders, timeout);
        Assert.True(result.ExitCode == 0, $"Step '{name}' exited with {result.ExitCode}:\n{result.Output}");
        return result.Output;
    }

    private static async Task<string> SqliteAsync(string folder, string query)
    {
        var result = await Shell.RunAsync($"sqlite3 '{Path.Combine(folder, "costconsole.db")}' \"{query}\"", folder, null, TimeSpan.FromMinutes(1));
        Assert.True(result.ExitCode == 0, result.Output);
        return result.Output.Trim();
    }
}
