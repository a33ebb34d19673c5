using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Storage;

namespace CostConsole.Data.Database;

/// <summary>How <see cref="SchemaUpdate.ApplyAsync"/> brought the schema up to date.</summary>
public enum SchemaUpdateKind
{
    /// <summary>The database had tables: pending migrations were applied one by one, as EF Core does.</summary>
    Migrated,

    /// <summary>The database was empty: every migration ran as one script in one transaction.</summary>
    CreatedInOneStep,
}

/// <summary>
/// Brings the console's schema up to date at start. A fresh database gets the SQL of every migration as one script run
/// in one transaction, every migration recorded as applied: the same statements EF Core's migrator would run, without its
/// per-migration round trips, locks and commits, which were half of a first start. A database that already has tables
/// migrates one migration at a time, as before.
/// </summary>
public static class SchemaUpdate
{
    /// <summary>How long one migration statement may run (a backfill or an index over millions of ledger rows).</summary>
    public static readonly TimeSpan MigrationTimeout = TimeSpan.FromHours(1);

    /// <param name="stepDone">Told the name of each step as it ends, for a start-up log of what each cost.</param>
    public static async Task<SchemaUpdateKind> ApplyAsync(DbContext db, Action<string>? stepDone = null, CancellationToken cancellationToken = default)
    {
        if (await CreateInOneStepAsync(db, stepDone, cancellationToken).ConfigureAwait(false))
        {
            return SchemaUpdateKind.CreatedInOneStep;
        }

        // A migration that fills or indexes a large ledger takes minutes, far longer than a page's query may.
        var timeout = db.Database.GetCommandTimeout();
        db.Database.SetCommandTimeout(MigrationTimeout);
        try
        {
            await db.Database.MigrateAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            db.Database.SetCommandTimeout(timeout);
        }

        return SchemaUpdateKind.Migrated;
    }

    /// <summary>Creates the schema of an empty database in one step; false (and nothing done) if it has tables.</summary>
    public static async Task<bool> CreateInOneStepAsync(DbContext db, Action<string>? stepDone = null, CancellationToken cancellationToken = default)
    {
        var creator = db.GetService<IRelationalDatabaseCreator>();
        if (!await creator.ExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            await creator.CreateAsync(cancellationToken).ConfigureAwait(false);
        }
        else if (await creator.HasTablesAsync(cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        stepDone?.Invoke("database found empty");

        // The script holds every migration's statements in order and the inserts into __EFMigrationsHistory, so a later
        // MigrateAsync finds nothing pending. Without its own transactions it runs inside the one opened here: a failure
        // leaves the database empty, and the next start tries again.
        var script = Script(db);
        stepDone?.Invoke("schema script generated");
        await db.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (var command = db.Database.GetDbConnection().CreateCommand())
            {
                command.Transaction = transaction.GetDbTransaction();
                command.CommandText = script;
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await db.Database.CloseConnectionAsync().ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>
    /// The text <see cref="IMigrator.GenerateScript"/> gives from an empty database to the last migration, without
    /// transactions, built faster. EF Core builds and finalises each migration's target model (a copy of the whole model
    /// as it was) to write its SQL; almost every operation is written from the operation alone, and the generator asks for
    /// the model only for the few it cannot write without it (data inserts, SQLite table rebuilds), refusing when it has
    /// none. So each migration is written without its model first, and with it only when refused. The schema tests hold
    /// the result equal to EF Core's own script for both providers.
    /// </summary>
    public static string Script(DbContext db)
    {
        var assembly = db.GetService<IMigrationsAssembly>();
        var generator = db.GetService<IMigrationsSqlGenerator>();
        var history = db.GetService<IHistoryRepository>();
        var terminator = db.GetService<ISqlGenerationHelper>().BatchTerminator;
        const MigrationsSqlGenerationOptions options = MigrationsSqlGenerationOptions.Script | MigrationsSqlGenerationOptions.NoTransactions;
        var script = new StringBuilder(history.GetCreateIfNotExistsScript()).Append(terminator);
        foreach (var (id, type) in assembly.Migrations)
        {
            var migration = assembly.CreateMigration(type, db.Database.ProviderName!);
            IReadOnlyList<MigrationCommand> commands;
            try
            {
                commands = generator.Generate(migration.UpOperations, model: null, options);
            }
            catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException)
            {
                var model = db.GetService<IModelRuntimeInitializer>().Initialize(migration.TargetModel!, designTime: true, validationLogger: null);
                commands = generator.Generate(migration.UpOperations, model, options);
            }

            foreach (var command in commands)
            {
                script.Append(command.CommandText).Append(terminator);
            }

            script.Append(history.GetInsertScript(new HistoryRow(id, ProductInfo.GetVersion()))).Append(terminator);
        }

        return script.ToString();
    }
}
