using System.Net;
using System.Text.RegularExpressions;
using CostConsole.Data;
using CostConsole.Web.Access;
using CostConsole.Data.Entities;
using CostConsole.Simulator;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Infrastructure;

/// <summary>
/// The whole app on a real loopback port (Kestrel), with its own SQLite file and an instant simulator,
/// so tests go through real HTTP exactly as a client would.
/// </summary>
public class CostConsoleFactory : WebApplicationFactory<Program>
{
    public const string ApiKey = "cc-test-key-0123456789";

    public const string AdminEmail = "admin@test.local";

    /// <summary>The password of every user the tests create.</summary>
    public const string Password = "Test-password-2026";

    private readonly Dictionary<string, string?> _settings;

    public CostConsoleFactory() : this([])
    {
    }

    protected CostConsoleFactory(Dictionary<string, string?> settings)
    {
        DataFolder = Path.Combine(Path.GetTempPath(), "costconsole-tests", Guid.NewGuid().ToString("N"));
        _settings = new Dictionary<string, string?>
        {
            ["CostConsole:DataFolder"] = DataFolder,
            ["CostConsole:DevApiKey"] = ApiKey,
            ["CostConsole:StorePrompts"] = "true",
            ["CostConsole:Simulator:LatencyScale"] = "0",
            ["CostConsole:Admin:Email"] = AdminEmail,
            ["CostConsole:Admin:Password"] = Password,
        };
        foreach (var (key, value) in settings)
        {
            _settings[key] = value;
        }

        UseKestrel(0);
    }

    public string DataFolder { get; }

    public Uri BaseAddress
    {
        get
        {
            StartServer();
            var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("localhost", "127.0.0.1", StringComparison.Ordinal));
        }
    }

    public SimulatorSettings Simulator => Services.GetRequiredService<SimulatorSettings>();

    public HttpClient CreateApiClient(string? key = ApiKey)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    /// <summary>
    /// A client signed in to the console through the sign-in form, as a browser would be: the admin by default, or a
    /// user of <paramref name="role"/> created for the test.
    /// </summary>
    public async Task<HttpClient> CreateConsoleClientAsync(string role = Roles.Admin)
    {
        var email = role == Roles.Admin ? AdminEmail : await EnsureUserAsync(role);
        var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = BaseAddress };
        using var response = await SignInAsync(client, email, Password);
        if (response.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"Signing in as {email} answered {(int)response.StatusCode}.");
        }

        return client;
    }

    /// <summary>Posts the sign-in form (with its antiforgery token) and returns the answer.</summary>
    public static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string email, string password)
    {
        var page = await client.GetStringAsync("/signin");
        var token = Regex.Match(page, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        return await client.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "signin",
            ["__RequestVerificationToken"] = token,
            ["Input.Email"] = email,
            ["Input.Password"] = password,
        }));
    }

    /// <summary>A console user of <paramref name="role"/> (created once), with <see cref="Password"/>.</summary>
    public async Task<string> EnsureUserAsync(string role, string? email = null)
    {
        email ??= role.ToLowerInvariant() + "@test.local";
        await using var scope = Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserService>();
        var result = await users.CreateAsync(new UserForm { Email = email, Password = Password, Role = role });
        if (!result.Saved && !result.Summary.Contains("already has an account", StringComparison.Ordinal))
        {
            throw new InvalidOperationException(result.Summary);
        }

        return email;
    }

    public async Task<List<RequestLogRow>> LedgerAsync()
    {
        var factory = Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        return await db.RequestLog.AsNoTracking().OrderBy(r => r.Id).ToListAsync();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(DataFolder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
