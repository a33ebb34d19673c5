using CostConsole.Web.Tests.Infrastructure;

namespace CostConsole.Web.Tests.Compatibility;

/// <summary>The compatibility app with its simulator provider marked as speaking Anthropic Messages: every call goes upstream through the Anthropic client.</summary>
public sealed class NativeAnthropicCompatibilityFactory() : CostConsoleFactory(new()
{
    ["CostConsole:Simulator:ApiKey"] = ApiKey,
    ["CostConsole:Catalogue:Providers:0:Name"] = "simulator",
    ["CostConsole:Catalogue:Providers:0:BaseUrl"] = "/sim/v1",
    ["CostConsole:Catalogue:Providers:0:Protocol"] = "anthropic",
});

/// <summary>
/// Anthropic's own <c>@anthropic-ai/sdk</c> (<c>tests/compat/messages.mjs</c>) against a console whose provider speaks
/// Anthropic Messages natively: the same checks as <see cref="MessagesClientTests"/>, with the upstream reached through
/// the official Anthropic .NET client.
/// </summary>
public sealed class NativeAnthropicMessagesClientTests(NativeAnthropicMessagesClientTests.SuiteRun run) : IClassFixture<NativeAnthropicMessagesClientTests.SuiteRun>
{
    public static TheoryData<string> Checks() => MessagesClientTests.Checks();

    [Theory]
    [MemberData(nameof(Checks))]
    public async Task The_client_check_passes_against_an_app_whose_provider_speaks_anthropic(string check)
    {
        var results = await run.ResultsAsync();

        Assert.True(results.TryGetValue(check, out var outcome), $"The suite did not report '{check}'. Its output:\n{run.Output}");
        Assert.True(outcome.Passed, $"{check}: {outcome.Detail}");
    }

    public sealed class SuiteRun() : NodeSuiteRun("messages.mjs", new NativeAnthropicCompatibilityFactory());
}

/// <summary>
/// The official <c>openai</c> library, the AI SDK and the Agents SDK speaking the Responses API (<c>tests/compat/responses.mjs</c>)
/// against a console whose provider speaks Anthropic Messages natively.
/// </summary>
public sealed class NativeAnthropicResponsesClientTests(NativeAnthropicResponsesClientTests.SuiteRun run) : IClassFixture<NativeAnthropicResponsesClientTests.SuiteRun>
{
    public static TheoryData<string> Checks() => ResponsesClientTests.Checks();

    [Theory]
    [MemberData(nameof(Checks))]
    public async Task The_client_check_passes_against_an_app_whose_provider_speaks_anthropic(string check)
    {
        var results = await run.ResultsAsync();

        Assert.True(results.TryGetValue(check, out var outcome), $"The suite did not report '{check}'. Its output:\n{run.Output}");
        Assert.True(outcome.Passed, $"{check}: {outcome.Detail}");
    }

    public sealed class SuiteRun() : NodeSuiteRun("responses.mjs", new NativeAnthropicCompatibilityFactory());
}
