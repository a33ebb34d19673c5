using CostConsole.Web.Tests.Infrastructure;

namespace CostConsole.Web.Tests.Compatibility;

/// <summary>The compatibility app with prompts stored in full, the policy under which the Responses API stores responses.</summary>
public sealed class FullStorageCompatibilityFactory() : CostConsoleFactory(new()
{
    ["CostConsole:Simulator:ApiKey"] = ApiKey,
    ["CostConsole:Privacy:PromptStorage"] = "full",
});

/// <summary>
/// Runs <c>tests/compat/stored-responses.mjs</c> — the official <c>openai</c> library's <c>store</c>,
/// <c>previous_response_id</c>, <c>responses.retrieve</c>, <c>responses.inputItems.list</c>, <c>item_reference</c> and <c>responses.delete</c>, and the Agents SDK's
/// <c>previousResponseId</c> — against the app on a loopback port, once for the class, each check a test of its own.
/// </summary>
public sealed class StoredResponsesClientTests(StoredResponsesClientTests.SuiteRun run) : IClassFixture<StoredResponsesClientTests.SuiteRun>
{
    public static TheoryData<string> Checks() => new()
    {
        "openai / responses.create stores by default and retrieve returns it",
        "openai / previous_response_id continues the conversation",
        "openai / function tool round trip through previous_response_id",
        "openai / a streamed response is stored and continued",
        "openai / store false keeps nothing: retrieve is NotFoundError (404)",
        "openai / responses.delete, then retrieve is NotFoundError (404)",
        "openai / error: unknown previous_response_id is NotFoundError (404)",
        "openai / responses.inputItems.list pages the input items, newest first by default",
        "openai / responses.inputItems.list takes the documented include values and refuses others (400)",
        "openai / item_reference stands for a stored response's function call",
        "agents / second turn from previousResponseId",
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

    /// <summary>Starts the app and runs <c>stored-responses.mjs</c> against it once for the class.</summary>
    public sealed class SuiteRun() : NodeSuiteRun("stored-responses.mjs", new FullStorageCompatibilityFactory());
}
