using CostConsole.Data;
using CostConsole.Data.Database;
using Microsoft.EntityFrameworkCore;

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
}
