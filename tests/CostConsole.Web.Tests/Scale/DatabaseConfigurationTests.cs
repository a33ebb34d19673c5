using System.Net;
using System.Net.Sockets;
using CostConsole.Web.Tests.Infrastructure;

namespace CostConsole.Web.Tests.Scale;

/// <summary>A PostgreSQL setting that cannot work stops start-up with a message that says what to fix.</summary>
public sealed class DatabaseConfigurationTests
{
    [Fact]
    public async Task PostgreSql_without_a_connection_string_names_the_setting_to_fill_in()
    {
        await using var factory = new ConfiguredFactory(new() { ["CostConsole:Database:Provider"] = "PostgreSql" });

        var error = Assert.ThrowsAny<Exception>(() => factory.BaseAddress);

        Assert.Contains("CostConsole:Database:ConnectionString is empty", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("CostConsole__Database__ConnectionString", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_postgresql_server_is_named_with_its_host_and_database_and_not_its_password()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        await using var factory = new ConfiguredFactory(new()
        {
            ["CostConsole:Database:Provider"] = "PostgreSql",
            ["CostConsole:Database:ConnectionString"] = $"Host=127.0.0.1;Port={port};Database=nowhere;Username=costconsole;Password=s3cret-pw;Timeout=3",
        });

        var error = Assert.ThrowsAny<Exception>(() => factory.BaseAddress);

        Assert.Contains($"Cannot reach the PostgreSQL database nowhere on 127.0.0.1:{port}", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", error.ToString(), StringComparison.Ordinal);
    }

    private sealed class ConfiguredFactory(Dictionary<string, string?> settings) : CostConsoleFactory(settings);
}
