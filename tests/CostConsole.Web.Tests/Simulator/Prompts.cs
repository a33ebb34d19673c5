namespace CostConsole.Web.Tests.Simulator;

/// <summary>Prompts shared by the simulator tests: what real users of a support/CRM assistant ask.</summary>
internal static class Prompts
{
    public const string Faq = "How do I reset my password?";

    public static readonly string[] FaqQuestions =
    [
        Faq,
        "What are your support hours?",
        "Where can I download my latest invoice?",
        "Is the service down right now?",
        "How long does standard delivery take?",
    ];

    public const string MultiStepAnalysis =
        """
        Analyze our churn over the last two quarters and explain why it rose after the March pricing change.
        Compare the Team and Business plans, calculate the revenue impact of moving 20% of Team customers up,
        and forecast next quarter under both scenarios. Then give me a step by step plan with the trade-offs
        and the root cause you think is most likely. Which segment should we prioritize first? What data would
        change your recommendation? How would you reconcile the billing report with the CRM pipeline numbers?
        """;
}
