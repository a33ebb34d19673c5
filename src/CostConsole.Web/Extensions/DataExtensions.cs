using CostConsole.Data;
using CostConsole.Data.Catalogue;
using CostConsole.Data.Database;
using CostConsole.Data.Ledger;
using CostConsole.Routing.Pipeline;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CostConsole.Web.Extensions;

internal static class DataExtensions
{
    public static WebApplicationBuilder AddCostConsoleData(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<CostConsoleOptions>()
            .BindConfiguration(CostConsoleOptions.Section)
            .Validate(o => o.MaxRequestBytes > 0, "CostConsole:MaxRequestBytes must be positive.")
            .Validate(o => o.RegexTimeoutMilliseconds is > 0 and <= 1000, "CostConsole:RegexTimeoutMilliseconds must be between 1 and 1000.")
            .Validate(o => o.Ledger.MaxBatch > 0 && o.Ledger.QueueCapacity > 0, "CostConsole:Ledger batch and queue sizes must be positive.")
            .ValidateOnStart();

        var options = builder.Configuration.GetSection(CostConsoleOptions.Section).Get<CostConsoleOptions>() ?? new CostConsoleOptions();
        var dataFolder = Path.GetFullPath(options.DataFolder, builder.Environment.ContentRootPath);
        Directory.CreateDirectory(dataFolder);
        var provider = options.Database.Provider;
        var connectionString = options.Database.ConnectionString ?? options.ConnectionString;
        if (provider == DatabaseProvider.PostgreSql && string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                "CostConsole:Database:Provider is PostgreSql but CostConsole:Database:ConnectionString is empty: set it (environment variable " +
                "CostConsole__Database__ConnectionString), e.g. \"Host=db;Database=costconsole;Username=costconsole;Password=...\".");
        }

        connectionString ??= new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(dataFolder, "costconsole.db"),
            Cache = SqliteCacheMode.Private,
            DefaultTimeout = 30,
        }.ToString();

        builder.Services.AddSingleton(new DataLocation(dataFolder, connectionString));
        builder.Services.AddSingleton(_ => new CostConsoleDatabase(provider, connectionString));
        builder.Services.AddDbContextFactory<CostConsoleDbContext>((sp, o) => sp.GetRequiredService<CostConsoleDatabase>().Configure(o));

        // The key ring lives beside the database, so a restart can still read the provider keys it protected.
        builder.Services.AddDataProtection()
            .SetApplicationName("CostConsole")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataFolder, "keys")));
        builder.Services.AddSingleton<ISecretProtector, DataProtectionSecretProtector>();

        builder.Services.AddSingleton(sp => new LedgerWriter(
            sp.GetRequiredService<CostConsoleDatabase>(),
            sp.GetRequiredService<IOptions<CostConsoleOptions>>().Value.Ledger,
            sp.GetService<Api.ApiKeyDirectory>() is { } keys ? id => keys.Find(id)?.Team is { } team && !string.IsNullOrWhiteSpace(team) ? team : null : null,
            sp.GetRequiredService<ILogger<LedgerWriter>>()));
        builder.Services.AddSingleton<ILedger>(sp => sp.GetRequiredService<LedgerWriter>());
        builder.Services.AddHostedService<LedgerWriterService>();
        return builder;
    }
}

internal sealed record DataLocation(string Folder, string ConnectionString);

internal sealed class DataProtectionSecretProtector(IDataProtectionProvider provider) : ISecretProtector
{
    private readonly IDataProtector _protector = provider.CreateProtector("CostConsole.ProviderApiKeys");

    public string Protect(string secret) => _protector.Protect(secret);

    public string? Unprotect(string protectedSecret)
    {
        try
        {
            return _protector.Unprotect(protectedSecret);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
    }
}

/// <summary>Runs the ledger's writer for the life of the app and drains it on shutdown.</summary>
internal sealed class LedgerWriterService(LedgerWriter writer) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        writer.Start();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await writer.DisposeAsync();
}
