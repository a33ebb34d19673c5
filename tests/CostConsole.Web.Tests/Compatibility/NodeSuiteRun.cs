using System.Diagnostics;
using CostConsole.Web.Tests.Infrastructure;

namespace CostConsole.Web.Tests.Compatibility;

/// <summary>
/// Starts the app, runs one script of <c>tests/compat</c> against it once, and keeps each check's outcome: the script
/// prints "PASS &lt;client&gt; / &lt;check&gt;" or "FAIL &lt;client&gt; / &lt;check&gt;: &lt;why&gt;" per check and ends with "N passed, N failed".
/// </summary>
public abstract class NodeSuiteRun(string script, CostConsoleFactory factory) : IAsyncLifetime
{
    private static readonly TimeSpan SuiteTimeout = TimeSpan.FromMinutes(5);

    // Suites of several classes may start together; one installs the packages while the others wait.
    private static readonly SemaphoreSlim Install = new(1, 1);

    private Task<Dictionary<string, (bool Passed, string Detail)>>? _results;

    public string Output { get; private set; } = "";

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public Task<Dictionary<string, (bool Passed, string Detail)>> ResultsAsync() => _results ??= RunAsync();

    private async Task<Dictionary<string, (bool Passed, string Detail)>> RunAsync()
    {
        var suite = SuiteDirectory();
        await Install.WaitAsync();
        try
        {
            if (!File.Exists(Path.Combine(suite, "node_modules", ".package-lock.json")))
            {
                // The test project's build restores the packages; a copy of the suite without them still runs.
                await RunAsync("npm", ["ci", "--ignore-scripts", "--no-audit", "--no-fund"], suite);
            }
        }
        finally
        {
            Install.Release();
        }

        var root = factory.BaseAddress.ToString().TrimEnd('/');
        var (exitCode, output) = await RunAsync("node", [script, "--url", root, "--key", CostConsoleFactory.ApiKey], suite);
        Output = $"exit code {exitCode}\n{output}";
        TestContext.Current.SendDiagnosticMessage(Output);

        var results = new Dictionary<string, (bool, string)>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n', StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith("PASS ", StringComparison.Ordinal))
            {
                results[line[5..]] = (true, "passed");
            }
            else if (line.StartsWith("FAIL ", StringComparison.Ordinal))
            {
                var colon = line.IndexOf(": ", 5, StringComparison.Ordinal);
                results[colon < 0 ? line[5..] : line[5..colon]] = (false, colon < 0 ? line : line[(colon + 2)..]);
            }
        }

        return results;
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, string[] arguments, string directory)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(SuiteTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish within {SuiteTimeout}. Output so far:\n{await stdout}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    private static string SuiteDirectory()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "CostConsole.sln")))
        {
            directory = directory.Parent;
        }

        return Path.Combine(directory?.FullName ?? throw new DirectoryNotFoundException("The repository root (CostConsole.sln) was not found."), "tests", "compat");
    }

    public async ValueTask DisposeAsync() => await factory.DisposeAsync();
}
