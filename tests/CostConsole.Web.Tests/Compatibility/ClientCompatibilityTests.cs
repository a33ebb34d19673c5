using System.Diagnostics;
using CostConsole.Web.Tests.Infrastructure;

namespace CostConsole.Web.Tests.Compatibility;

/// <summary>The app as the suite meets it; the suite's key also opens the simulator's own endpoints.</summary>
public sealed class CompatibilityFactory() : CostConsoleFactory(new()
{
    ["CostConsole:Simulator:ApiKey"] = ApiKey,
});

/// <summary>
/// Runs <c>tests/compat/compat.mjs</c> — the official <c>openai</c> library, LangChain's <c>@langchain/openai</c> and the
/// Vercel AI SDK (<c>ai</c> with <c>@ai-sdk/openai-compatible</c>) — against the app on a loopback port, once for the
/// class, and reports each of its checks as a test of its own.
/// </summary>
public sealed class ClientCompatibilityTests(ClientCompatibilityTests.SuiteRun run) : IClassFixture<ClientCompatibilityTests.SuiteRun>
{
    private static readonly string[] ChatChecks =
    [
        "plain chat", "streaming with usage",
        "tool call, forced", "tool call, named", "tool call, auto",
        "tool call, forced, streamed", "tool call, named, streamed", "tool call, auto, streamed",
        "JSON mode", "JSON schema", "embeddings",
    ];

    public static TheoryData<string> Checks()
    {
        // LangChain and the AI SDK have no call that lists models; the official client checks the list.
        var checks = new TheoryData<string> { "openai / models list", "openai / tool result answered in text" };
        foreach (var client in (string[])["openai", "langchain", "ai-sdk"])
        {
            foreach (var check in ChatChecks)
            {
                checks.Add($"{client} / {check}");
            }
        }

        checks.Add("openai / error: bad key is AuthenticationError (401)");
        checks.Add("openai / error: bad request is BadRequestError (400)");
        checks.Add("langchain / error: bad key is AuthenticationError (401)");
        checks.Add("langchain / error: bad request is BadRequestError (400)");
        checks.Add("ai-sdk / error: bad key is APICallError (401)");
        checks.Add("ai-sdk / error: bad request is APICallError (400)");
        return checks;
    }

    [Theory]
    [MemberData(nameof(Checks))]
    public async Task The_client_check_passes_against_the_running_app(string check)
    {
        var results = await run.ResultsAsync();

        Assert.True(results.TryGetValue(check, out var outcome), $"The suite did not report '{check}'. Its output:\n{run.Output}");
        Assert.True(outcome.Passed, $"{check}: {outcome.Detail}");
    }

    [Fact]
    public async Task The_suite_runs_exactly_the_checks_listed_here_and_counts_them()
    {
        var results = await run.ResultsAsync();

        Assert.Equal(Checks().Select(row => row.Data).Order(), results.Keys.Order());
        Assert.Contains($"{results.Count} passed, 0 failed", run.Output, StringComparison.Ordinal);
    }

    /// <summary>Starts the app, runs the node suite against it once, and keeps each check's outcome.</summary>
    public sealed class SuiteRun : IAsyncLifetime
    {
        private static readonly TimeSpan SuiteTimeout = TimeSpan.FromMinutes(5);

        // The embeddings checks call the simulator directly (the gateway has no /v1/embeddings), which outside
        // Development takes only a configured key: the suite's key is that key too.
        private readonly CompatibilityFactory _factory = new();
        private Task<Dictionary<string, (bool Passed, string Detail)>>? _results;

        public string Output { get; private set; } = "";

        public ValueTask InitializeAsync() => ValueTask.CompletedTask;

        public Task<Dictionary<string, (bool Passed, string Detail)>> ResultsAsync() => _results ??= RunAsync();

        private async Task<Dictionary<string, (bool Passed, string Detail)>> RunAsync()
        {
            var suite = SuiteDirectory();
            if (!File.Exists(Path.Combine(suite, "node_modules", ".package-lock.json")))
            {
                // The test project's build restores the packages; a copy of the suite without them still runs.
                await RunAsync("npm", ["ci", "--ignore-scripts", "--no-audit", "--no-fund"], suite);
            }

            var root = _factory.BaseAddress.ToString().TrimEnd('/');
            var (exitCode, output) = await RunAsync("node", ["compat.mjs", "--url", root, "--key", CostConsoleFactory.ApiKey], suite);
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

        public async ValueTask DisposeAsync() => await _factory.DisposeAsync();
    }
}
