using CostConsole.Routing.Escalation;
using CostConsole.Routing.Learning;
using CostConsole.Routing.Rules;

namespace CostConsole.Data.Catalogue;

/// <summary>
/// The rule set a new installation starts with, for a typical support and CRM workload: explicit rules for what
/// must go to large (analyses, long documents) and for plain FAQs, and the shipped trained router for the rest.
/// </summary>
public static class DefaultRuleSet
{
    public static RuleSetDefinition Create() => new()
    {
        DefaultTier = "medium",
        Escalation = DefaultEscalation(),

        // Requests no rule catches go to the shipped trained router: the cheapest tier whose answer it expects to be
        // acceptable at least 90% of the time.
        Classifier = new ClassifierDefinition
        {
            Kind = ClassifierKind.Trained,
            Trained = new TrainedClassifierDefinition { Model = ShippedModels.Support },
        },
        Rules =
        [
            new RuleDefinition
            {
                Name = "analysis",
                Conditions = [new KeywordCondition(KeywordMatch.Any, ["analyze", "analyse", "analysis", "compare", "forecast", "root cause", "strategy", "trade-off", "tradeoffs", "step by step", "reconcile", "evaluate", "churn"])],
                Action = RuleAction.ToTier("large"),
            },
            new RuleDefinition
            {
                Name = "long-context",
                Conditions = [new TokenLengthCondition(2000, null)],
                Action = RuleAction.ToTier("large"),
            },
            new RuleDefinition
            {
                Name = "faq-and-status",
                Conditions = [new KeywordCondition(KeywordMatch.Any, ["order status", "where is my order", "tracking", "opening hours", "business hours", "reset password", "password reset", "refund policy", "shipping", "delivery time", "faq", "cancel my subscription", "update my address"])],
                Action = RuleAction.ToTier("small"),
            },
        ],
    };

    /// <summary>
    /// Small and medium answers must be confident (10th-percentile token probability at least 0.5), complete, valid
    /// JSON when JSON was asked for, no refusal, and their calculations must add up; a request may climb two tiers. The top tier's weak answers are
    /// flagged for a person.
    /// </summary>
    public static EscalationPolicy DefaultEscalation() => new()
    {
        MaxEscalations = 2,
        Tiers =
        [
            new TierGates { Tier = "small", MinConfidence = 0.5, RefusalPhrases = TierGates.DefaultRefusalPhrases, Arithmetic = new ArithmeticGate() },
            new TierGates { Tier = "medium", MinConfidence = 0.5, RefusalPhrases = TierGates.DefaultRefusalPhrases, Arithmetic = new ArithmeticGate() },
            new TierGates { Tier = "large", MinConfidence = 0.3, RefusalPhrases = TierGates.DefaultRefusalPhrases },
        ],
    };
}
