using CostConsole.Web.Tests.Infrastructure;

namespace CostConsole.Web.Tests.Compatibility;

/// <summary>
/// The app as the suite meets it. Its simulator takes the suite's key too, so a check may call it directly (outside
/// Development the simulator takes only a configured key).
/// </summary>
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

    /// <summary>Starts the app and runs <c>compat.mjs</c> against it once for the class.</summary>
    public sealed class SuiteRun() : NodeSuiteRun("compat.mjs", new CompatibilityFactory());
}
