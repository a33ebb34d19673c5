using Bunit;
using CostConsole.Routing.Escalation;
using CostConsole.Routing.Rules;
using CostConsole.Web.Components.Routing;
using CostConsole.Web.Components.Settings;
using CostConsole.Simulator;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace CostConsole.Web.Tests.Components;

public sealed class SettingsAndEscalationTests : ConsoleTestContext
{
    private readonly SimulatorSettings _simulator = new(new SimulatorOptions());

    private IRenderedComponent<SimulatedModelsPanel> RenderFaults()
    {
        Services.AddSingleton(_simulator);
        Services.AddSingleton(Microsoft.Extensions.Options.Options.Create(new SimulatorOptions()));
        Render<MudSnackbarProvider>();
        return Render<SimulatedModelsPanel>();
    }

    [Fact]
    public async Task A_fault_rate_over_a_hundred_percent_is_refused_with_the_reason_and_the_model_keeps_its_profile()
    {
        var before = _simulator.Find("gpt-4.1-nano");
        var panel = RenderFaults();
        var row = panel.Find("[data-testid=fault-row][data-model='gpt-4.1-nano']");

        await panel.Find("[data-testid=fault-row][data-model='gpt-4.1-nano'] [data-testid=fault-error-rate]").ChangeAsync(new() { Value = "150" });
        await panel.Find("[data-testid=fault-row][data-model='gpt-4.1-nano'] [data-testid=fault-apply]").ClickAsync(new());

        panel.WaitForAssertion(() => Assert.Contains("gpt-4.1-nano: the error rate is a percentage from 0 to 100.", panel.Find("[data-testid=fault-error]").TextContent, StringComparison.Ordinal));
        Assert.Same(before, _simulator.Find("gpt-4.1-nano"));
        Assert.NotNull(row);
    }

    [Fact]
    public async Task A_slow_down_of_zero_is_refused_and_a_valid_change_is_applied_then_reset()
    {
        var panel = RenderFaults();
        const string Row = "[data-testid=fault-row][data-model='gpt-4.1'] ";

        await panel.Find(Row + "[data-testid=fault-slowdown]").ChangeAsync(new() { Value = "0" });
        await panel.Find(Row + "[data-testid=fault-apply]").ClickAsync(new());
        panel.WaitForAssertion(() => Assert.Contains("slow-down multiplies the model's delays", panel.Find("[data-testid=fault-error]").TextContent, StringComparison.Ordinal));
        Assert.Equal(1, _simulator.Find("gpt-4.1")!.SlowdownFactor);

        await panel.Find(Row + "[data-testid=fault-slowdown]").ChangeAsync(new() { Value = "3" });
        await panel.Find(Row + "[data-testid=fault-429-rate]").ChangeAsync(new() { Value = "25" });
        await panel.Find(Row + "[data-testid=fault-apply]").ClickAsync(new());
        panel.WaitForAssertion(() => Assert.Equal(0.25, _simulator.Find("gpt-4.1")!.RateLimitRate));
        Assert.Equal(3, _simulator.Find("gpt-4.1")!.SlowdownFactor);
        Assert.Empty(panel.FindAll("[data-testid=fault-error]"));

        await panel.Find(Row + "[data-testid=fault-reset]").ClickAsync(new());
        panel.WaitForAssertion(() => Assert.Equal(0, _simulator.Find("gpt-4.1")!.RateLimitRate));
        Assert.Equal(1, _simulator.Find("gpt-4.1")!.SlowdownFactor);
    }

    [Fact]
    public async Task A_role_without_settings_rights_cannot_change_a_simulated_model()
    {
        SignInAs(CostConsole.Web.Access.Roles.FinOps);
        var before = _simulator.Find("gpt-4.1");
        var panel = RenderFaults();
        const string Row = "[data-testid=fault-row][data-model='gpt-4.1'] ";

        await panel.Find(Row + "[data-testid=fault-error-rate]").ChangeAsync(new() { Value = "50" });
        await panel.Find(Row + "[data-testid=fault-apply]").ClickAsync(new());

        panel.WaitForAssertion(() => Assert.Contains("Your role does not allow this change.", panel.Find("[data-testid=fault-error]").TextContent, StringComparison.Ordinal));
        Assert.Same(before, _simulator.Find("gpt-4.1"));
    }

    private (IRenderedComponent<EscalationPanel> Panel, List<RuleSetDefinition> Saved) RenderEscalation(EscalationPolicy policy)
    {
        var saved = new List<RuleSetDefinition>();
        Render<MudPopoverProvider>();
        var panel = Render<EscalationPanel>(p => p
            .Add(e => e.Definition, new RuleSetDefinition { DefaultTier = "small", Escalation = policy })
            .Add(e => e.Tiers, ["small", "medium", "large"])
            .Add(e => e.Models, ["gpt-4.1-nano", "gpt-4.1"])
            .Add(e => e.RegexTimeout, TimeSpan.FromMilliseconds(25))
            .Add(e => e.Save, d =>
            {
                saved.Add(d);
                return Task.FromResult(true);
            }));
        return (panel, saved);
    }

    [Fact]
    public async Task An_invalid_regex_a_judge_prompt_without_placeholders_and_a_confidence_out_of_range_are_refused_and_nothing_is_saved()
    {
        var policy = new EscalationPolicy
        {
            Tiers =
            [
                new TierGates
                {
                    Tier = "small",
                    MinConfidence = 1.5,
                    MustMatch = ["order (#"],
                    Judge = new JudgeDefinition { Model = "gpt-4.1", Prompt = "Grade this answer from 1 to 5." },
                },
            ],
        };
        var (panel, saved) = RenderEscalation(policy);

        await panel.Find("[data-testid=escalation-save]").ClickAsync(new());

        panel.WaitForAssertion(() =>
        {
            var problems = panel.Find("[data-testid=escalation-problems]").TextContent;
            Assert.Contains("Tier small: the minimum confidence is a probability from 0 to 1", problems, StringComparison.Ordinal);
            Assert.Contains("Tier small: /order (#/ (must match): The pattern does not compile", problems, StringComparison.Ordinal);
            Assert.Contains("the judge prompt must contain {question} and {answer}", problems, StringComparison.Ordinal);
        });
        Assert.Empty(saved);
    }

    [Fact]
    public async Task Too_many_escalations_are_refused_and_valid_gates_are_saved_with_the_draft()
    {
        var (panel, saved) = RenderEscalation(new EscalationPolicy { MaxEscalations = 9 });

        await panel.Find("[data-testid=escalation-save]").ClickAsync(new());
        panel.WaitForAssertion(() => Assert.Contains("Allow 0 to 5 escalations per request", panel.Find("[data-testid=escalation-problems]").TextContent, StringComparison.Ordinal));
        Assert.Empty(saved);

        await panel.Find("[data-testid=escalation-max] input, input[data-testid=escalation-max]").ChangeAsync(new() { Value = "2" });
        await panel.Find("[data-testid=escalation-save]").ClickAsync(new());

        panel.WaitForAssertion(() => Assert.Single(saved));
        Assert.Equal(2, saved[0].Escalation.MaxEscalations);
        Assert.Empty(saved[0].Escalation.Tiers);
    }
}
