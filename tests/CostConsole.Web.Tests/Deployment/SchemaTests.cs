using CostConsole.Data;
using CostConsole.Data.Database;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;

namespace CostConsole.Web.Tests.Deployment;

/// <summary>
/// The model and both providers' migrations agree: a schema change without a migration for SQLite and one for
/// PostgreSQL would start an instance on a database that lacks a column the code writes.
/// </summary>
public sealed class SchemaTests
{
    [Fact]
    public void The_sqlite_migrations_hold_every_change_of_the_model()
    {
        var options = new DbContextOptionsBuilder<CostConsoleDbContext>()
            .UseSqlite("Data Source=:memory:", o => o.MigrationsAssembly(CostConsoleDatabase.SqliteMigrationsAssembly))
            .Options;
        using var db = new CostConsoleDbContext(options);

        Assert.NotEmpty(db.Database.GetMigrations());
        Assert.False(db.Database.HasPendingModelChanges(),
            "The model has changes the SQLite migrations lack: add a migration to migrations/Sqlite (see the README's Development section).");
    }

    [Fact]
    public void The_postgresql_migrations_hold_every_change_of_the_model()
    {
        // Generating and comparing needs no server: the connection string is never opened.
        var options = new DbContextOptionsBuilder<CostConsoleDbContext>()
            .UseNpgsql("Host=localhost;Database=costconsole", o => o.MigrationsAssembly(CostConsoleDatabase.PostgreSqlMigrationsAssembly))
            .Options;
        using var db = new CostConsoleDbContext(options);

        Assert.NotEmpty(db.Database.GetMigrations());
        Assert.False(db.Database.HasPendingModelChanges(),
            "The model has changes the PostgreSQL migrations lack: add a migration to migrations/PostgreSql (see the README's Development section).");
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.PostgreSql)]
    public async Task The_compiled_model_is_the_model_the_code_builds(DatabaseProvider provider)
    {
        // The console's contexts use the compiled model of their engine; these build the model from OnModelCreating, as
        // long as no compiled model registers itself for the context (the file dbcontext optimize writes for that).
        // Neither opens a connection, so PostgreSQL needs no server.
        Assert.Empty(typeof(CostConsoleDbContext).Assembly.GetCustomAttributes(typeof(DbContextModelAttribute), inherit: false));
        const string postgreSql = "Host=localhost;Database=costconsole";
        await using var database = new CostConsoleDatabase(provider, provider == DatabaseProvider.Sqlite ? "Data Source=:memory:" : postgreSql);
        var compiledOptions = new DbContextOptionsBuilder<CostConsoleDbContext>();
        database.Configure(compiledOptions);
        using var compiled = new CostConsoleDbContext(compiledOptions.Options);
        var builtOptions = new DbContextOptionsBuilder<CostConsoleDbContext>();
        _ = provider == DatabaseProvider.Sqlite ? builtOptions.UseSqlite("Data Source=:memory:") : builtOptions.UseNpgsql(postgreSql);
        using var built = new CostConsoleDbContext(builtOptions.Options);

        IModel expected = provider == DatabaseProvider.Sqlite
            ? CostConsole.Data.CompiledModels.Sqlite.CostConsoleDbContextModel.Instance
            : CostConsole.Data.CompiledModels.PostgreSql.CostConsoleDbContextModel.Instance;
        Assert.Same(expected, compiled.GetService<IDbContextOptions>().FindExtension<CoreOptionsExtension>()!.Model);

        // A raw SQL query of an unmapped type, as the content search makes, adds an ad-hoc entity type to the model instance.
        _ = compiled.Database.SqlQuery<AdHocRow>($"SELECT 1 AS \"Id\"");
        Assert.NotEmpty(((RuntimeModel)compiled.Model).GetAdHocEntityTypes());

        // What the runtime reads of a model (entities, properties, keys, tables, columns, converters); migrations and the
        // one-step schema come from the migrations' own models, not from this one.
        var want = DebugView(built.Model);
        var have = DebugView(compiled.Model);
        var first = Enumerable.Range(0, Math.Min(want.Length, have.Length)).FirstOrDefault(i => want[i] != have[i], -1);
        Assert.True(
            first < 0 && want.Length == have.Length,
            $"The compiled {provider} model is out of date: regenerate it (see the README's Development section). "
            + (first < 0 ? $"The model has {want.Length} lines, the compiled one {have.Length}." : $"Line {first + 1}: the model has \"{want[first].Trim()}\", the compiled one \"{have[first].Trim()}\"."));
    }

    /// <summary>
    /// EF Core's full debug view of a model's entity types and annotations, one line each. The model's own debug view would
    /// also list the ad-hoc entity types that raw SQL queries (<c>SqlQuery&lt;T&gt;</c>) add to a model instance as the
    /// process runs, which depends on what ran before.
    /// </summary>
    private static string[] DebugView(IModel model) =>
        [
            .. model.GetEntityTypes().SelectMany(e => e.ToDebugString(MetadataDebugStringOptions.LongDefault).Split('\n')),
            .. model.GetAnnotations().Select(a => $"{a.Name}: {a.Value}"),
        ];

    private sealed record AdHocRow(long Id);
}
