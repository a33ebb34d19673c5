using CostConsole.Data;
using CostConsole.Data.Catalogue;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Tokens;
using CostConsole.Web.Catalogue;
using CostConsole.Web.Routing;
using CostConsole.Web.Extensions;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CostConsole.Web.Tests.Infrastructure;

/// <summary>A migrated, seeded SQLite file with the catalogue service over it, as the console runs it, without a web host.</summary>
public sealed class CatalogueDatabase : IAsyncDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "costconsole-catalogue", Guid.NewGuid().ToString("N"));

    private CatalogueDatabase()
    {
        Directory.CreateDirectory(_folder);
        var connectionString = $"Data Source={Path.Combine(_folder, "catalogue.db")}";
        var builder = new DbContextOptionsBuilder<CostConsoleDbContext>().UseSqlite(connectionString, b => b.MigrationsAssembly(CostConsole.Data.Database.CostConsoleDatabase.SqliteMigrationsAssembly));
        Factory = new ContextFactory(builder.Options);
        Protector = new DataProtectionSecretProtector(new EphemeralDataProtectionProvider());
        Options = Microsoft.Extensions.Options.Options.Create(new CostConsoleOptions
        {
            Catalogue = new CatalogueOptions
            {
                Providers = [new ProviderOptions { Name = "simulator", BaseUrl = "/sim/v1", TimeoutSeconds = 30 }],
                Models =
                [
                    new ModelOptions { Id = "gpt-4.1-nano", Provider = "simulator", Tier = "small", InputPerMillion = 0.10m, CachedInputPerMillion = 0.025m, OutputPerMillion = 0.40m },
                    new ModelOptions { Id = "gpt-4.1-mini", Provider = "simulator", Tier = "medium", InputPerMillion = 0.40m, CachedInputPerMillion = 0.10m, OutputPerMillion = 1.60m },
                    new ModelOptions { Id = "gpt-4.1", Provider = "simulator", Tier = "large", InputPerMillion = 2.00m, CachedInputPerMillion = 0.50m, OutputPerMillion = 8.00m },
                ],
            },
        });
        Compiler = new RoutingCompiler(Options, Protector, Routing, Invoker, TimeProvider.System);
        Service = new CatalogueService(Factory, Protector, Compiler, Routing, new NoLocalServer(), TimeProvider.System);
        RuleSets = new RuleSetService(Factory, Compiler, TimeProvider.System);
        Lab = new RoutingLab(Factory, RuleSets, Routing, O200kTokenCounter.Instance, TimeProvider.System);
    }

    public IDbContextFactory<CostConsoleDbContext> Factory { get; }

    public ISecretProtector Protector { get; }

    public IOptions<CostConsoleOptions> Options { get; }

    public RoutingState Routing { get; } = new();

    public RoutingCompiler Compiler { get; }

    /// <summary>Calls models over HTTP; here nothing listens, so a classifier that calls a model gets a connection failure.</summary>
    public IModelInvoker Invoker { get; } = new OpenAIModelInvoker(new NoLocalServer(), O200kTokenCounter.Instance);

    public CatalogueService Service { get; }

    public RuleSetService RuleSets { get; }

    public RoutingLab Lab { get; }

    public static async Task<CatalogueDatabase> CreateAsync()
    {
        var database = new CatalogueDatabase();
        await using var db = await database.Factory.CreateDbContextAsync();
        await db.Database.MigrateAsync();
        await CatalogueSeeder.ApplyAsync(db, database.Options.Value, database.Protector, DateTimeOffset.UtcNow);
        database.Routing.Publish(SnapshotCompiler.Compile(await RoutingConfigLoader.LoadAsync(db, database.Options.Value, database.Protector)));
        return database;
    }

    public async Task<T> QueryAsync<T>(Func<CostConsoleDbContext, Task<T>> query)
    {
        await using var db = await Factory.CreateDbContextAsync();
        return await query(db);
    }

    public async Task<ModelView> ModelAsync(string id) => (await Service.ModelsAsync()).Single(m => m.ModelId == id);

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }

        return ValueTask.CompletedTask;
    }

    private sealed class ContextFactory(DbContextOptions<CostConsoleDbContext> options) : IDbContextFactory<CostConsoleDbContext>
    {
        public CostConsoleDbContext CreateDbContext() => new(options);
    }

    private sealed class NoLocalServer : ILocalServerAddress
    {
        public Uri BaseAddress => new("http://127.0.0.1:9/");
    }
}
