using CostConsole.Simulator;

namespace CostConsole.Web.Tests.Simulator;

public sealed class SimulatorSettingsTests
{
    [Fact]
    public void Without_configured_models_the_nano_mini_and_full_models_are_simulated()
    {
        var settings = new SimulatorSettings(new SimulatorOptions());

        Assert.Equal(["gpt-4.1-nano", "gpt-4.1-mini", "gpt-4.1"], settings.Models.Select(model => model.Id));
        Assert.True(settings.Find("gpt-4.1-nano")!.Capability < settings.Find("gpt-4.1-mini")!.Capability);
        Assert.True(settings.Find("gpt-4.1-mini")!.Capability < settings.Find("gpt-4.1")!.Capability);
        Assert.True(settings.Find("gpt-4.1-nano")!.TokensPerSecond > settings.Find("gpt-4.1")!.TokensPerSecond);
    }

    [Fact]
    public void Updating_a_profile_changes_what_later_lookups_see()
    {
        var settings = new SimulatorSettings(new SimulatorOptions());
        var before = settings.Find("gpt-4.1-mini")!;

        settings.Update(before with { ErrorRate = 0.25 });

        Assert.Equal(0.25, settings.Find("gpt-4.1-mini")!.ErrorRate);
        Assert.Equal(0, before.ErrorRate);
        Assert.Equal(3, settings.Models.Count);
    }

    [Fact]
    public void Updating_an_unknown_model_adds_it()
    {
        var settings = new SimulatorSettings(new SimulatorOptions());

        settings.Update(new SimulatedModelProfile { Id = "o4-mini", Capability = 0.8 });

        Assert.Equal("o4-mini", settings.Models[^1].Id);
        Assert.NotNull(settings.Find("o4-mini"));
    }

    [Fact]
    public void An_update_with_a_rate_above_one_is_rejected_with_a_message_naming_the_setting()
    {
        var settings = new SimulatorSettings(new SimulatorOptions());

        var error = Assert.Throws<ArgumentException>(() => settings.Update(settings.Find("gpt-4.1")! with { TimeoutRate = 1.5 }));

        Assert.Contains("TimeoutRate", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, settings.Find("gpt-4.1")!.TimeoutRate);
    }

    [Fact]
    public void A_negative_latency_scale_is_rejected()
    {
        var settings = new SimulatorSettings(new SimulatorOptions());

        Assert.Throws<ArgumentOutOfRangeException>(() => settings.LatencyScale = -1);
    }

    [Fact]
    public void Validation_lists_every_problem_in_the_options()
    {
        var options = new SimulatorOptions
        {
            LatencyScale = -1,
            Models =
            [
                new SimulatedModelProfile { Id = "a", ErrorRate = 2, TokensPerSecond = 0 },
                new SimulatedModelProfile { Id = "b" },
                new SimulatedModelProfile { Id = "b" },
            ],
        };

        var result = new SimulatorOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, failure => failure.Contains("LatencyScale", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, failure => failure.Contains("'a': ErrorRate", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, failure => failure.Contains("'a': TokensPerSecond", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, failure => failure.Contains("'b' 2 times", StringComparison.Ordinal));
    }

    [Fact]
    public void The_default_models_pass_validation()
    {
        var result = new SimulatorOptionsValidator().Validate(null, new SimulatorOptions { Models = [.. SimulatorOptions.DefaultModels] });

        Assert.True(result.Succeeded);
    }
}
