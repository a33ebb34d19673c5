using CostConsole.Web.Tests.Infrastructure;

namespace CostConsole.Web.Tests.Compatibility;

/// <summary>The compatibility app with its simulator provider marked as speaking the Responses API and Anthropic Messages itself.</summary>
public sealed class PassthroughCompatibilityFactory() : CostConsoleFactory(new()
{
    ["CostConsole:Simulator:ApiKey"] = ApiKey,
    ["CostConsole:Catalogue:Providers:0:Name"] = "simulator",
    ["CostConsole:Catalogue:Providers:0:BaseUrl"] = "/sim/v1",
    ["CostConsole:Catalogue:Providers:0:NativeApis:0"] = "responses",
    ["CostConsole:Catalogue:Providers:0:NativeApis:1"] = "messages",
});

/// <summary>
/// Runs <c>tests/compat/passthrough.mjs</c> — the official <c>openai</c> and <c>@anthropic-ai/sdk</c> clients, streamed
/// and not — against an app whose provider speaks their APIs, so each answer is the provider's own, passed through.
/// </summary>
public sealed class PassthroughClientTests(PassthroughClientTests.SuiteRun run) : IClassFixture<PassthroughClientTests.SuiteRun>
{
    public static TheoryData<string> Checks() => new()
    {
        "openai / responses.create is the provider's own response",
        "openai / responses.create streamed relays the provider's events",
        "anthropic / messages.create is the provider's own message",
        "anthropic / messages.stream relays the provider's events",
    };

    [Theory]
    [MemberData(nameof(Checks))]
    public async Task The_client_check_passes_against_a_passthrough_provider(string check)
    {
        var results = await run.ResultsAsync();

        Assert.True(results.TryGetValue(check, out var outcome), $"The suite did not report '{check}'. Its output:\n{run.Output}");
        Assert.True(outcome.Passed, $"{check}: {outcome.Detail}");
    }

    public sealed class SuiteRun() : NodeSuiteRun("passthrough.mjs", new PassthroughCompatibilityFactory());
}

/// <summary>
/// The full Responses suite (<c>tests/compat/responses.mjs</c>: <c>openai</c>, the AI SDK, the Agents SDK, tools, JSON
/// schema, errors) against the passthrough app: every check passes whether the provider's answer is passed through or not.
/// </summary>
public sealed class PassthroughResponsesClientTests(PassthroughResponsesClientTests.SuiteRun run) : IClassFixture<PassthroughResponsesClientTests.SuiteRun>
{
    public static TheoryData<string> Checks() => ResponsesClientTests.Checks();

    [Theory]
    [MemberData(nameof(Checks))]
    public async Task The_client_check_passes_against_a_passthrough_provider(string check)
    {
        var results = await run.ResultsAsync();

        Assert.True(results.TryGetValue(check, out var outcome), $"The suite did not report '{check}'. Its output:\n{run.Output}");
        Assert.True(outcome.Passed, $"{check}: {outcome.Detail}");
    }

    public sealed class SuiteRun() : NodeSuiteRun("responses.mjs", new PassthroughCompatibilityFactory());
}

/// <summary>The full Messages suite (<c>tests/compat/messages.mjs</c>) against the passthrough app.</summary>
public sealed class PassthroughMessagesClientTests(PassthroughMessagesClientTests.SuiteRun run) : IClassFixture<PassthroughMessagesClientTests.SuiteRun>
{
    public static TheoryData<string> Checks() => MessagesClientTests.Checks();

    [Theory]
    [MemberData(nameof(Checks))]
    public async Task The_client_check_passes_against_a_passthrough_provider(string check)
    {
        var results = await run.ResultsAsync();

        Assert.True(results.TryGetValue(check, out var outcome), $"The suite did not report '{check}'. Its output:\n{run.Output}");
        Assert.True(outcome.Passed, $"{check}: {outcome.Detail}");
    }

    public sealed class SuiteRun() : NodeSuiteRun("messages.mjs", new PassthroughCompatibilityFactory());
}
