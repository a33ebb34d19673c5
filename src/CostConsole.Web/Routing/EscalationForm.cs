using CostConsole.Routing.Decisions;
using CostConsole.Routing.Escalation;
using FluentValidation;

namespace CostConsole.Web.Routing;

/// <summary>The draft's escalation policy as the Escalation tab edits it: one gate form per tier.</summary>
public sealed class EscalationForm
{
    public int MaxEscalations { get; set; } = 1;

    public List<TierGatesForm> Tiers { get; set; } = [];

    public static EscalationForm From(EscalationPolicy policy, IReadOnlyList<string> tiers, string? defaultJudgeModel) => new()
    {
        MaxEscalations = policy.MaxEscalations,
        Tiers = [.. tiers.Select(t => TierGatesForm.From(t, policy.For(t), defaultJudgeModel))],
    };

    /// <summary>The policy: tiers with their gates switched off are left out (they accept every answer).</summary>
    public EscalationPolicy ToPolicy() => new()
    {
        MaxEscalations = MaxEscalations,
        Tiers = [.. Tiers.Where(t => t.Enabled).Select(t => t.ToGates())],
    };

    internal static IReadOnlyList<string> Lines(string text) =>
        [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
}

public sealed class TierGatesForm
{
    public string Tier { get; set; } = "";

    /// <summary>Off: the tier accepts every answer.</summary>
    public bool Enabled { get; set; }

    public bool UseConfidence { get; set; }

    public double MinConfidence { get; set; } = 0.5;

    public double ConfidenceQuantile { get; set; } = 0.1;

    public bool ValidateJson { get; set; } = true;

    /// <summary>One regular expression per line.</summary>
    public string MustMatch { get; set; } = "";

    public string MustNotMatch { get; set; } = "";

    /// <summary>One phrase per line.</summary>
    public string RefusalPhrases { get; set; } = "";

    public bool EscalateOnTruncation { get; set; } = true;

    public bool UseJudge { get; set; }

    public string? JudgeModel { get; set; }

    public string JudgePrompt { get; set; } = JudgeDefinition.DefaultPrompt;

    public int JudgeMinScore { get; set; } = 3;

    /// <summary>Recompute every "expression = value" the answer states.</summary>
    public bool UseArithmetic { get; set; }

    /// <summary>In units of the last shown digit: 0.5 accepts any rounding.</summary>
    public decimal ArithmeticTolerance { get; set; } = ArithmeticConsistency.DefaultTolerance;

    public bool UseFinalAnswer { get; set; }

    /// <summary>Optional: a regex with a named group "answer" that captures the final answer.</summary>
    public string FinalAnswerPattern { get; set; } = "";

    /// <summary>Optional: the pattern applies only to questions matching this regex.</summary>
    public string FinalAnswerQuestion { get; set; } = "";

    public bool UseSelfConsistency { get; set; }

    public int Samples { get; set; } = 1;

    public double SampleTemperature { get; set; } = 0.7;

    public static TierGatesForm From(string tier, TierGates? gates, string? defaultJudgeModel) => gates is null
        ? new TierGatesForm { Tier = tier, JudgeModel = defaultJudgeModel }
        : new TierGatesForm
        {
            Tier = tier,
            Enabled = true,
            UseConfidence = gates.MinConfidence is not null,
            MinConfidence = gates.MinConfidence ?? 0.5,
            ConfidenceQuantile = gates.ConfidenceQuantile,
            ValidateJson = gates.ValidateJson,
            MustMatch = string.Join('\n', gates.MustMatch),
            MustNotMatch = string.Join('\n', gates.MustNotMatch),
            RefusalPhrases = string.Join('\n', gates.RefusalPhrases),
            EscalateOnTruncation = gates.EscalateOnTruncation,
            UseJudge = gates.Judge is not null,
            JudgeModel = gates.Judge?.Model is { Length: > 0 } model ? model : defaultJudgeModel,
            JudgePrompt = gates.Judge?.Prompt ?? JudgeDefinition.DefaultPrompt,
            JudgeMinScore = gates.Judge?.MinScore ?? 3,
            UseArithmetic = gates.Arithmetic is not null,
            ArithmeticTolerance = gates.Arithmetic?.Tolerance ?? ArithmeticConsistency.DefaultTolerance,
            UseFinalAnswer = gates.FinalAnswer is not null,
            FinalAnswerPattern = gates.FinalAnswer?.Pattern ?? "",
            FinalAnswerQuestion = gates.FinalAnswer?.QuestionPattern ?? "",
            UseSelfConsistency = gates.SelfConsistency is not null,
            Samples = gates.SelfConsistency?.Samples ?? 1,
            SampleTemperature = gates.SelfConsistency?.Temperature ?? 0.7,
        };

    public TierGates ToGates() => new()
    {
        Tier = Tier,
        MinConfidence = UseConfidence ? MinConfidence : null,
        ConfidenceQuantile = ConfidenceQuantile,
        ValidateJson = ValidateJson,
        MustMatch = EscalationForm.Lines(MustMatch),
        MustNotMatch = EscalationForm.Lines(MustNotMatch),
        RefusalPhrases = EscalationForm.Lines(RefusalPhrases),
        EscalateOnTruncation = EscalateOnTruncation,
        Judge = UseJudge ? new JudgeDefinition { Model = JudgeModel ?? "", Prompt = JudgePrompt, MinScore = JudgeMinScore } : null,
        Arithmetic = UseArithmetic ? new ArithmeticGate { Tolerance = ArithmeticTolerance } : null,
        FinalAnswer = UseFinalAnswer
            ? new FinalAnswerGate { Pattern = NullIfBlank(FinalAnswerPattern), QuestionPattern = NullIfBlank(FinalAnswerQuestion) }
            : null,
        SelfConsistency = UseSelfConsistency ? new SelfConsistencyGate { Samples = Samples, Temperature = SampleTemperature } : null,
    };

    private static string? NullIfBlank(string text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    /// <summary>The gates in a few words, for the panel's title.</summary>
    public string Summary
    {
        get
        {
            if (!Enabled)
            {
                return "accepts every answer";
            }

            var parts = new List<string>();
            if (UseConfidence)
            {
                parts.Add($"confidence ≥ {MinConfidence:0.##}");
            }

            if (ValidateJson)
            {
                parts.Add("JSON");
            }

            var patterns = EscalationForm.Lines(MustMatch).Count + EscalationForm.Lines(MustNotMatch).Count;
            if (patterns > 0)
            {
                parts.Add($"{patterns} pattern(s)");
            }

            if (EscalationForm.Lines(RefusalPhrases).Count > 0)
            {
                parts.Add("refusals");
            }

            if (EscalateOnTruncation)
            {
                parts.Add("truncation");
            }

            if (UseJudge)
            {
                parts.Add("judge");
            }

            if (UseArithmetic)
            {
                parts.Add("arithmetic");
            }

            if (UseFinalAnswer)
            {
                parts.Add("one final answer");
            }

            if (UseSelfConsistency)
            {
                parts.Add($"self-consistency ×{Samples}");
            }

            return parts.Count == 0 ? "gates on, none chosen" : string.Join(", ", parts);
        }
    }
}

public sealed class EscalationFormValidator : AbstractValidator<EscalationForm>
{
    public EscalationFormValidator(IReadOnlyCollection<string> models, TimeSpan regexTimeout)
    {
        RuleFor(f => f.MaxEscalations)
            .InclusiveBetween(0, EscalationPolicy.MaxAllowedEscalations)
            .WithMessage($"Allow 0 to {EscalationPolicy.MaxAllowedEscalations} escalations per request (0 turns escalation off).");
        RuleForEach(f => f.Tiers).SetValidator(new TierGatesFormValidator(models, regexTimeout));
    }
}

public sealed class TierGatesFormValidator : AbstractValidator<TierGatesForm>
{
    public TierGatesFormValidator(IReadOnlyCollection<string> models, TimeSpan regexTimeout)
    {
        When(t => t.Enabled, () =>
        {
            RuleFor(t => t.MinConfidence)
                .InclusiveBetween(0, 1).WithMessage(t => $"Tier {t.Tier}: the minimum confidence is a probability from 0 to 1, e.g. 0.5.")
                .When(t => t.UseConfidence);
            RuleFor(t => t.ConfidenceQuantile)
                .InclusiveBetween(0.01, 0.5).WithMessage(t => $"Tier {t.Tier}: the confidence quantile is from 0.01 to 0.5 (0.1 reads the 10th percentile of token probabilities).")
                .When(t => t.UseConfidence);
            RuleFor(t => t.MustMatch).Custom((text, context) => CheckPatterns(text, "must match", context, regexTimeout));
            RuleFor(t => t.MustNotMatch).Custom((text, context) => CheckPatterns(text, "must not match", context, regexTimeout));
            RuleFor(t => t.ArithmeticTolerance)
                .GreaterThan(0).LessThanOrEqualTo(100)
                .WithMessage(t => $"Tier {t.Tier}: the arithmetic tolerance is in units of the last shown digit, above 0 and at most 100 (0.5 accepts any rounding).")
                .When(t => t.UseArithmetic);
            RuleFor(t => t.FinalAnswerPattern).Custom((text, context) =>
            {
                if (context.InstanceToValidate.UseFinalAnswer && !string.IsNullOrWhiteSpace(text))
                {
                    CheckPatterns(text, "final answer", context, regexTimeout);
                    if (!text.Contains("(?<" + FinalAnswer.AnswerGroup + ">", StringComparison.Ordinal))
                    {
                        context.AddFailure($"Tier {context.InstanceToValidate.Tier}: the final-answer pattern needs a named group (?<{FinalAnswer.AnswerGroup}>…) around the answer.");
                    }
                }
            });
            RuleFor(t => t.FinalAnswerQuestion).Custom((text, context) =>
            {
                if (context.InstanceToValidate.UseFinalAnswer && !string.IsNullOrWhiteSpace(text))
                {
                    CheckPatterns(text, "final-answer question", context, regexTimeout);
                }
            });
            RuleFor(t => t.Samples)
                .InclusiveBetween(1, SelfConsistencyGate.MaxSamples)
                .WithMessage(t => $"Tier {t.Tier}: self-consistency asks the tier again 1 to {SelfConsistencyGate.MaxSamples} times.")
                .When(t => t.UseSelfConsistency);
            RuleFor(t => t.SampleTemperature)
                .InclusiveBetween(0, 2)
                .WithMessage(t => $"Tier {t.Tier}: the self-consistency temperature is from 0 to 2.")
                .When(t => t.UseSelfConsistency);
            When(t => t.UseJudge, () =>
            {
                RuleFor(t => t.JudgeModel)
                    .Must(m => m is not null && models.Contains(m)).WithMessage(t => $"Tier {t.Tier}: choose the judge model from the catalogue.");
                RuleFor(t => t.JudgePrompt)
                    .Must(p => p.Contains(JudgeDefinition.QuestionPlaceholder, StringComparison.Ordinal) && p.Contains(JudgeDefinition.AnswerPlaceholder, StringComparison.Ordinal))
                    .WithMessage(t => $"Tier {t.Tier}: the judge prompt must contain {JudgeDefinition.QuestionPlaceholder} and {JudgeDefinition.AnswerPlaceholder}, where the question and the answer go.");
                RuleFor(t => t.JudgeMinScore)
                    .InclusiveBetween(1, 5).WithMessage(t => $"Tier {t.Tier}: the judge's minimum score is 1 to 5.");
            });
        });
    }

    private static void CheckPatterns(string text, string which, ValidationContext<TierGatesForm> context, TimeSpan regexTimeout)
    {
        foreach (var pattern in EscalationForm.Lines(text))
        {
            if (SnapshotCompiler.CheckRegex(pattern, regexTimeout) is { } problem)
            {
                context.AddFailure($"Tier {context.InstanceToValidate.Tier}: /{pattern}/ ({which}): {problem}");
            }
        }
    }
}
