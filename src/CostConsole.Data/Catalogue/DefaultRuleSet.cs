using CostConsole.Routing.Escalation;
using CostConsole.Routing.Rules;

namespace CostConsole.Data.Catalogue;

/// <summary>The rule set a new installation starts with: a typical support and CRM workload.</summary>
public static class DefaultRuleSet
{
    public static RuleSetDefinition Create() => new()
    {
        DefaultTier = "medium",
        Escalation = DefaultEscalation(),
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
            new RuleDefinition
            {
                Name = "simple-account",
                Conditions = [new KeywordCondition(KeywordMatch.Any, ["account", "login", "log in", "email address", "billing address", "payment method", "invoice"]), new TokenLengthCondition(null, 400)],
                Action = RuleAction.ToTier("small"),
            },
            new RuleDefinition
            {
                Name = "drafting",
                Conditions = [new KeywordCondition(KeywordMatch.Any, ["draft", "write an email", "rewrite", "reply to", "compose", "summarize", "summarise"])],
                Action = RuleAction.ToTier("medium"),
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
