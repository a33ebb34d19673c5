using FluentValidation;

namespace CostConsole.Simulator;

/// <summary>A simulated model's fault injection as the settings page edits it: rates in percent.</summary>
public sealed class SimulatedModelForm
{
    public string Id { get; set; } = "";

    public double CapabilityPercent { get; set; }

    public double ErrorPercent { get; set; }

    public double RateLimitPercent { get; set; }

    public int RetryAfterSeconds { get; set; }

    public double TimeoutPercent { get; set; }

    public double HangSeconds { get; set; }

    public double StreamCutPercent { get; set; }

    public double SlowdownFactor { get; set; }

    public static SimulatedModelForm From(SimulatedModelProfile profile) => new()
    {
        Id = profile.Id,
        CapabilityPercent = Percent(profile.Capability),
        ErrorPercent = Percent(profile.ErrorRate),
        RateLimitPercent = Percent(profile.RateLimitRate),
        RetryAfterSeconds = profile.RetryAfterSeconds,
        TimeoutPercent = Percent(profile.TimeoutRate),
        HangSeconds = profile.HangSeconds,
        StreamCutPercent = Percent(profile.StreamCutRate),
        SlowdownFactor = profile.SlowdownFactor,
    };

    /// <summary>The profile with this form's values; everything the form does not edit stays as it is.</summary>
    public SimulatedModelProfile ApplyTo(SimulatedModelProfile profile) => profile with
    {
        Capability = CapabilityPercent / 100,
        ErrorRate = ErrorPercent / 100,
        RateLimitRate = RateLimitPercent / 100,
        RetryAfterSeconds = RetryAfterSeconds,
        TimeoutRate = TimeoutPercent / 100,
        HangSeconds = HangSeconds,
        StreamCutRate = StreamCutPercent / 100,
        SlowdownFactor = SlowdownFactor,
    };

    public bool InjectsFaults => ErrorPercent > 0 || RateLimitPercent > 0 || TimeoutPercent > 0 || StreamCutPercent > 0 || SlowdownFactor != 1;

    private static double Percent(double rate) => Math.Round(rate * 100, 2);
}

public sealed class SimulatedModelFormValidator : AbstractValidator<SimulatedModelForm>
{
    public SimulatedModelFormValidator()
    {
        RuleFor(f => f.CapabilityPercent).InclusiveBetween(0, 100).WithMessage(f => $"{f.Id}: capability is a percentage from 0 to 100.");
        RuleFor(f => f.ErrorPercent).InclusiveBetween(0, 100).WithMessage(f => $"{f.Id}: the error rate is a percentage from 0 to 100.");
        RuleFor(f => f.RateLimitPercent).InclusiveBetween(0, 100).WithMessage(f => $"{f.Id}: the 429 rate is a percentage from 0 to 100.");
        RuleFor(f => f.TimeoutPercent).InclusiveBetween(0, 100).WithMessage(f => $"{f.Id}: the timeout rate is a percentage from 0 to 100.");
        RuleFor(f => f.StreamCutPercent).InclusiveBetween(0, 100).WithMessage(f => $"{f.Id}: the stream cut rate is a percentage from 0 to 100.");
        RuleFor(f => f.RetryAfterSeconds).InclusiveBetween(0, 3600).WithMessage(f => $"{f.Id}: Retry-After is 0 to 3600 seconds.");
        RuleFor(f => f.HangSeconds).InclusiveBetween(0, 600).WithMessage(f => $"{f.Id}: a timeout hangs 0 to 600 seconds before its 504.");
        RuleFor(f => f.SlowdownFactor)
            .Must(s => s > 0 && s <= 100).WithMessage(f => $"{f.Id}: slow-down multiplies the model's delays: more than 0 and at most 100 (1 = normal speed).");
    }
}
