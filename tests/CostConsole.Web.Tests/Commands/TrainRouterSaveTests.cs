using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using CostConsole.Web.Commands;
using CostConsole.Web.Tests.Routing;
using Microsoft.Data.Sqlite;

namespace CostConsole.Web.Tests.Commands;

/// <summary><c>train-router --save</c>, run as the built console is run: its own process over its own data folder.</summary>
public sealed class TrainRouterSaveTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "costconsole-train-cli", Guid.NewGuid().ToString("N"));

    public TrainRouterSaveTests() => Directory.CreateDirectory(_folder);

    private async Task<(int Exit, string Output, string Error)> RunAsync(IReadOnlyDictionary<string, string> settings, params string[] args)
    {
        var webOutput = Path.GetDirectoryName(typeof(Program).Assembly.Location)!;
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = webOutput,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(webOutput, "CostConsole.Web.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        start.Environment["CostConsole__DataFolder"] = _folder;
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await output, await error);
    }

    private async Task<string> LabelsAsync()
    {
        var path = Path.Combine(_folder, "labels.csv");
        await File.WriteAllTextAsync(path, TrainingExamples.Csv(), TestContext.Current.CancellationToken);
        return path;
    }

    [Fact]
    public async Task Save_stores_each_run_as_the_next_version_and_prints_its_name_and_version()
    {
        var labels = await LabelsAsync();

        var first = await RunAsync(new Dictionary<string, string>(), "train-router", "--file", labels, "--name", "cli parcels", "--save");
        var second = await RunAsync(new Dictionary<string, string>(), "train-router", "--file", labels, "--name", "cli parcels", "--save");

        Assert.True(first.Exit == 0, first.Error);
        Assert.True(second.Exit == 0, second.Error);
        var json = JsonDocument.Parse(first.Output).RootElement;
        Assert.Equal(("cli-parcels@1", true), (json.GetProperty("model").GetString(), json.GetProperty("saved").GetBoolean()));
        Assert.Equal("cli-parcels@2", JsonDocument.Parse(second.Output).RootElement.GetProperty("model").GetString());

        await using var connection = new SqliteConnection($"Data Source={Path.Combine(_folder, "costconsole.db")};Pooling=false");
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT group_concat(Version, ',') FROM (SELECT Version FROM TrainedModels WHERE Name = 'cli-parcels' ORDER BY Version)";
        Assert.Equal("1,2", await command.ExecuteScalarAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Save_with_an_unreachable_database_says_so_plainly_and_stores_nothing()
    {
        var labels = await LabelsAsync();
        var settings = new Dictionary<string, string>
        {
            ["CostConsole__Database__Provider"] = "PostgreSql",
            ["CostConsole__Database__ConnectionString"] = $"Host=127.0.0.1;Port={ClosedPort()};Database=costconsole;Username=cc;Password=cc;Timeout=3",
        };

        var (exit, output, error) = await RunAsync(settings, "train-router", "--file", labels, "--save");

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Contains("Cannot reach the PostgreSQL database costconsole on 127.0.0.1", error, StringComparison.Ordinal);
        Assert.Contains("Nothing was trained or stored.", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_lists_save_and_a_version_given_with_save_is_refused_before_anything_runs()
    {
        var built = 0;
        var host = new ConsoleHost(_ => { built++; throw new InvalidOperationException("not reached"); }, _ => Task.CompletedTask);
        using var help = new StringWriter();
        using var error = new StringWriter();

        Assert.Equal(0, await ConsoleCommandLine.InvokeAsync(["train-router", "--help"], host, help, error));
        Assert.Equal(2, await ConsoleCommandLine.InvokeAsync(["train-router", "--file", "x.csv", "--save", "--version", "3"], host, help, error));

        Assert.Contains("--save", help.ToString(), StringComparison.Ordinal);
        Assert.Contains("next version of its name", help.ToString(), StringComparison.Ordinal);
        Assert.Contains("--version cannot be given with --save", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, built);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still open on a slow machine: the temp folder is cleaned some other time.
        }
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
