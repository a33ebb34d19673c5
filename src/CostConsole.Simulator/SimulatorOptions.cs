using Microsoft.Extensions.Options;

namespace CostConsole.Simulator;

/// <summary>The <c>CostConsole:Simulator</c> configuration section.</summary>
internal sealed class SimulatorOptions
{
    public const string SectionName = "CostConsole:Simulator";

    public int Seed { get; set; } = 42;

    public double LatencyScale { get; set; } = 1.0;

    /// <summary>A key other callers may use for <c>/sim/v1</c> outside Development; none by default (only the app itself may).</summary>
    public string? ApiKey { get; set; }

    /// <summary>How often the weakest model's worked totals in billing answers are wrong (0..1); stronger models slip less, the strongest never.</summary>
    public double ArithmeticSlipRate { get; set; } = 0.04;

    /// <summary>Largest accepted body; by default the gateway's own limit (<c>CostConsole:MaxRequestBytes</c>), else 4 MiB.</summary>
    public long MaxRequestBytes { get; set; } = DefaultMaxRequestBytes;

    public const long DefaultMaxRequestBytes = 4 * 1024 * 1024;

    /// <summary>How long a batch sent to <c>/sim/v1/batches</c> takes before all its answers are ready, in seconds.</summary>
    public double BatchSeconds { get; set; } = 5;

    /// <summary>Where the simulator keeps batch files and batches; by default a <c>simulator</c> folder in the console's data folder.</summary>
    public string? BatchFolder { get; set; }

    /// <summary>Empty in configuration means <see cref="DefaultModels"/>; filled in after binding so binding never appends to defaults.</summary>
    public List<SimulatedModelProfile> Models { get; set; } = [];

    /// <summary>A cheap fast model, a middle one and a strong slow one, so routing has a real choice out of the box.</summary>
    public static IReadOnlyList<SimulatedModelProfile> DefaultModels { get; } =
    [
        new() { Id = "gpt-4.1-nano", Capability = 0.35, TimeToFirstTokenMs = 150, TokensPerSecond = 160, AnswerTokens = 70 },
        new() { Id = "gpt-4.1-mini", Capability = 0.65, TimeToFirstTokenMs = 250, TokensPerSecond = 110, AnswerTokens = 90 },
        new() { Id = "gpt-4.1", Capability = 0.9, TimeToFirstTokenMs = 450, TokensPerSecond = 60, AnswerTokens = 120 },
    ];
}

internal sealed class SimulatorOptionsValidator : IValidateOptions<SimulatorOptions>
{
    public ValidateOptionsResult Validate(string? name, SimulatorOptions options)
    {
        var problems = new List<string>();
        if (!(options.LatencyScale >= 0) || double.IsInfinity(options.LatencyScale))
        {
            problems.Add($"{SimulatorOptions.SectionName}:LatencyScale must be zero (answer instantly) or more, but is {options.LatencyScale}.");
        }

        if (!(options.BatchSeconds >= 0) || double.IsInfinity(options.BatchSeconds))
        {
            problems.Add($"{SimulatorOptions.SectionName}:BatchSeconds must be zero (answer a batch at once) or more, but is {options.BatchSeconds}.");
        }

        if (options.MaxRequestBytes <= 0)
        {
            problems.Add($"{SimulatorOptions.SectionName}:MaxRequestBytes must be positive, but is {options.MaxRequestBytes}.");
        }

        if (!(options.ArithmeticSlipRate is >= 0 and <= 1))
        {
            problems.Add($"{SimulatorOptions.SectionName}:ArithmeticSlipRate must be between 0 and 1, but is {options.ArithmeticSlipRate}.");
        }

        foreach (var profile in options.Models)
        {
            problems.AddRange(profile.Problems().Select(problem => $"{SimulatorOptions.SectionName}:Models: {problem}"));
        }

        problems.AddRange(options.Models
            .GroupBy(profile => profile.Id, StringComparer.Ordinal)
            .Where(group => group.Count() > 1)
            .Select(group => $"{SimulatorOptions.SectionName}:Models lists '{group.Key}' {group.Count()} times; each model id must appear once."));

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
