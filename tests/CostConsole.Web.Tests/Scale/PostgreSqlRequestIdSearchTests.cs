using System.Data.Common;
using CostConsole.Data;
using CostConsole.Data.Database;
using CostConsole.Data.Entities;
using CostConsole.Web.Requests;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Npgsql;

namespace CostConsole.Web.Tests.Scale;

/// <summary>
/// The explorer finds a request by the beginning of its id through the id index on PostgreSQL too, also in a database
/// whose collation is linguistic (as `initdb` gives on most systems), where a text range or pattern cannot use an
/// index ordered by that collation.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlRequestIdSearchTests(PostgresServer server)
{
    [Fact]
    public async Task The_beginning_of_an_id_is_found_exactly_through_the_id_index_under_a_linguistic_collation()
    {
        var connectionString = await server.CreateDatabaseAsync(server.NewDatabaseName("ids"), locale: "C.UTF-8");
        await using var database = new CostConsoleDatabase(DatabaseProvider.PostgreSql, connectionString);
        var commands = new CommandRecorder();
        var options = new DbContextOptionsBuilder<CostConsoleDbContext>();
        database.Configure(options);
        options.AddInterceptors(commands);
        var factory = new PooledDbContextFactory<CostConsoleDbContext>(options.Options);

        var now = DateTimeOffset.UtcNow;
        var random = new Random(7);
        var ids = Enumerable.Range(0, 4_000).Select(_ => "req_" + Convert.ToHexStringLower(BitConverter.GetBytes(random.NextInt64())) + Guid.NewGuid().ToString("N")[..16]).ToList();
        await using (var db = await factory.CreateDbContextAsync(TestContext.Current.CancellationToken))
        {
            await db.Database.MigrateAsync(TestContext.Current.CancellationToken);
            db.RequestLog.AddRange(ids.Select((id, i) => new RequestLogRow { RequestId = id, Timestamp = now.AddSeconds(-i), HttpStatus = 200 }));
            await db.SaveChangesAsync(TestContext.Current.CancellationToken);
            await db.Database.ExecuteSqlRawAsync("""ANALYZE "RequestLog" """, TestContext.Current.CancellationToken);
        }

        var explorer = new RequestExplorer(factory);
        foreach (var prefix in new[] { ids[17][..9], ids[2_500][..7], "req_" })
        {
            commands.Clear();
            var page = await explorer.PageAsync(new RequestQuery(now.AddDays(-1), now.AddMinutes(1), Search: prefix, PageSize: 100), TestContext.Current.CancellationToken);

            var expected = ids.Where(id => id.StartsWith(prefix, StringComparison.Ordinal)).ToList();
            Assert.Equal(Math.Min(expected.Count, RequestExplorer.CountLimit), page.Total);
            Assert.Equal(expected.Take(100).Order(StringComparer.Ordinal), page.Rows.Select(r => r.RequestId).Order(StringComparer.Ordinal));

            if (prefix.Length > 4)
            {
                // Each of the page's queries can be answered from the id index, never by reading the whole ledger.
                foreach (var command in commands.Ledger)
                {
                    var plan = await ExplainAsync(connectionString, command);
                    Assert.Contains("IX_RequestLog_RequestId", plan, StringComparison.Ordinal);
                    Assert.Contains("Index Cond: ((\"RequestId\" >=", plan, StringComparison.Ordinal);
                }

                Assert.NotEmpty(commands.Ledger);
            }
        }
    }

    /// <summary>The plan PostgreSQL picks for <paramref name="command"/> when a whole-table read is its last resort.</summary>
    private static async Task<string> ExplainAsync(string connectionString, RecordedCommand command)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using (var off = new NpgsqlCommand("SET enable_seqscan = off", connection))
        {
            await off.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        await using var explain = new NpgsqlCommand("EXPLAIN " + command.Text, connection);
        foreach (var (name, value) in command.Parameters)
        {
            explain.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        var lines = new List<string>();
        await using var reader = await explain.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            lines.Add(reader.GetString(0));
        }

        return string.Join('\n', lines);
    }

    private sealed record RecordedCommand(string Text, IReadOnlyList<(string Name, object? Value)> Parameters);

    private sealed class CommandRecorder : DbCommandInterceptor
    {
        private readonly List<RecordedCommand> _commands = [];

        /// <summary>The recorded reads of the ledger.</summary>
        public IReadOnlyList<RecordedCommand> Ledger
        {
            get
            {
                lock (_commands)
                {
                    return [.. _commands.Where(c => c.Text.Contains("FROM \"RequestLog\"", StringComparison.Ordinal))];
                }
            }
        }

        public void Clear()
        {
            lock (_commands)
            {
                _commands.Clear();
            }
        }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            lock (_commands)
            {
                _commands.Add(new RecordedCommand(command.CommandText, [.. command.Parameters.Cast<DbParameter>().Select(p => (p.ParameterName, (object?)p.Value))]));
            }

            return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
        }
    }
}
