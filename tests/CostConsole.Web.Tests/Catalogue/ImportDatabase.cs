using CostConsole.Data;
using CostConsole.Data.Entities;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Tests.Catalogue;

/// <summary>
/// A migrated SQLite database in its own temp file, with the tiers small/medium/large and the providers
/// <c>openai</c> and <c>litellm-proxy</c>, for tests that need the catalogue's real schema and constraints.
/// </summary>
internal sealed class ImportDatabase : IAsyncDisposable
{
    private readonly string _folder;
    private readonly string _connectionString;

    private ImportDatabase(string folder)
    {
        _folder = folder;

        // No pooling, so no connection keeps the file open when the test deletes it.
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "catalogue.db"), Pooling = false }.ToString();
    }

    public static async Task<ImportDatabase> CreateAsync(CancellationToken cancellationToken)
    {
        var folder = Path.Combine(Path.GetTempPath(), "costconsole-import-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var database = new ImportDatabase(folder);

        await using var db = database.Open();
        await db.Database.MigrateAsync(cancellationToken);
        db.Tiers.AddRange(
            new TierEntity { Name = "small", Position = 0 },
            new TierEntity { Name = "medium", Position = 1 },
            new TierEntity { Name = "large", Position = 2 });
        db.Providers.AddRange(
            new ProviderEntity { Name = "openai", BaseUrl = "https://api.openai.com/v1" },
            new ProviderEntity { Name = "litellm-proxy", BaseUrl = "http://litellm:4000/v1" });
        await db.SaveChangesAsync(cancellationToken);
        return database;
    }

    public CostConsoleDbContext Open() =>
        new(new DbContextOptionsBuilder<CostConsoleDbContext>()
            .UseSqlite(_connectionString, sqlite => sqlite.MigrationsAssembly(CostConsole.Data.Database.CostConsoleDatabase.SqliteMigrationsAssembly))
            .Options);

    /// <summary>Runs SQL straight on the file, e.g. to install a trigger that makes the database refuse a write.</summary>
    public async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<RowCounts> CountAsync(CancellationToken cancellationToken)
    {
        await using var db = Open();
        return new RowCounts(
            await db.Providers.CountAsync(cancellationToken),
            await db.Models.CountAsync(cancellationToken),
            await db.ModelPrices.CountAsync(cancellationToken));
    }

    public async Task<ModelEntity?> FindModelAsync(string provider, string modelId, CancellationToken cancellationToken)
    {
        await using var db = Open();
        return await db.Models.AsNoTracking()
            .Include(m => m.Prices)
            .SingleOrDefaultAsync(m => m.Provider!.Name == provider && m.ModelId == modelId, cancellationToken);
    }

    public ValueTask DisposeAsync()
    {
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
}

internal sealed record RowCounts(int Providers, int Models, int Prices);
