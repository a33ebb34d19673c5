namespace CostConsole.Web.Tests.Compatibility;

/// <summary>
/// Runs <c>tests/compat/embeddings.mjs</c> — the official <c>openai</c> library's <c>embeddings.create</c> pointed at the
/// console's <c>/v1</c> — against the app on a loopback port, once for the class, and reports each check as a test of its own.
/// </summary>
public sealed class EmbeddingsClientTests(EmbeddingsClientTests.SuiteRun run) : IClassFixture<EmbeddingsClientTests.SuiteRun>
{
    public static TheoryData<string> Checks() => new()
    {
        "openai / embeddings.create, one input",
        "openai / embeddings.create, batch",
        "openai / embeddings.create, base64",
        "openai / error: chat model is BadRequestError (400)",
        "openai / error: unknown model is NotFoundError (404)",
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

    /// <summary>Starts the app and runs <c>embeddings.mjs</c> against it once for the class.</summary>
    public sealed class SuiteRun() : NodeSuiteRun("embeddings.mjs", new CompatibilityFactory());
}
