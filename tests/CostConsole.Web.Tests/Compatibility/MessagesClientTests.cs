namespace CostConsole.Web.Tests.Compatibility;

/// <summary>
/// Runs <c>tests/compat/messages.mjs</c> — Anthropic's official <c>@anthropic-ai/sdk</c> pointed at the console's
/// <c>/v1/messages</c> — against the app on a loopback port, once for the class, and reports each of its checks as a test of its own.
/// </summary>
public sealed class MessagesClientTests(MessagesClientTests.SuiteRun run) : IClassFixture<MessagesClientTests.SuiteRun>
{
    public static TheoryData<string> Checks() => new()
    {
        "anthropic / messages.create",
        "anthropic / messages.stream",
        "anthropic / create with stream: true",
        "anthropic / tool round-trip",
        "anthropic / tool call, streamed",
        "anthropic / count_tokens",
        "anthropic / error: bad key is AuthenticationError (401)",
        "anthropic / error: missing max_tokens is BadRequestError (400)",
        "anthropic / error: unsupported block is BadRequestError (400)",
    };

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

    /// <summary>Starts the app and runs <c>messages.mjs</c> against it once for the class.</summary>
    public sealed class SuiteRun() : NodeSuiteRun("messages.mjs", new CompatibilityFactory());
}
