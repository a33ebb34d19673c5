using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Web.Simulator;
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
