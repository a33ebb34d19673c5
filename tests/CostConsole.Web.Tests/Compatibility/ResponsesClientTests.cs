namespace CostConsole.Web.Tests.Compatibility;

/// <summary>
/// Runs <c>tests/compat/responses.mjs</c> — the official <c>openai</c> library's <c>responses</c> calls, the AI SDK's
/// OpenAI provider with its defaults (<c>ai</c> with <c>@ai-sdk/openai</c>, which speaks the Responses API) and the
/// Agents SDK's <c>run()</c> — against <c>POST /v1/responses</c> on a loopback port, once for the class, and reports
/// each of its checks as a test of its own.
/// </summary>
public sealed class ResponsesClientTests(ResponsesClientTests.SuiteRun run) : IClassFixture<ResponsesClientTests.SuiteRun>
{
    public static TheoryData<string> Checks() => new()
    {
        "openai / responses.create",
        "openai / responses.create, streamed",
        "openai / responses.stream helper, final response",
        "openai / function tool round trip",
        "openai / function tool, streamed",
        "openai / JSON schema via text.format",
        "openai / error: bad key is AuthenticationError (401)",
        "openai / error: bad request is BadRequestError (400)",
        "ai-sdk-openai / generateText",
        "ai-sdk-openai / streamText",
        "ai-sdk-openai / generateText, tool round trip",
        "ai-sdk-openai / second turn with store false",
        "ai-sdk-openai / second turn with store on is refused naming store false",
        "ai-sdk-openai / error: bad key is APICallError (401)",
        "agents / run with a function tool",
        "agents / second turn from the run's history",
        "agents / run with a function tool, streamed",
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

    /// <summary>Starts the app and runs <c>responses.mjs</c> against it once for the class.</summary>
    public sealed class SuiteRun() : NodeSuiteRun("responses.mjs", new CompatibilityFactory());
}
