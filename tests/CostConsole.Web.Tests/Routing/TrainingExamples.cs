using System.Text;

namespace CostConsole.Web.Tests.Routing;

/// <summary>
/// Labelled prompts written for these tests: questions about one parcel are answered well enough by the small tier,
/// migration plans need the large one. No default rule's keywords appear, so the classifier decides them.
/// </summary>
public static class TrainingExamples
{
    public const string SmallPrompt = "Is my parcel 4711 on its way yet?";

    public const string LargePrompt = "Write a detailed migration plan for moving the voucher records of 4711 customers into the new billing system, with risks and a rollback procedure.";

    private static readonly string[] Things = ["parcel", "invoice", "voucher", "card", "subscription", "account", "gift box", "return label"];

    /// <param name="noisy">When set, about a quarter of the parcel questions are labelled large too, so the small tier is only likely enough, not certain.</param>
    public static string Csv(int count = 160, bool noisy = false)
    {
        var csv = new StringBuilder("prompt,tier\n");
        for (var i = 0; i < count; i++)
        {
            var thing = Things[i % Things.Length];
            csv.Append(i % 2 == 0
                ? $"Is my {thing} {i} on its way yet?,{(noisy && i * 7919 % 13 < 3 ? "large" : "small")}\n"
                : $"\"Write a detailed migration plan for moving the {thing} records of {i} customers into the new billing system, with risks and a rollback procedure.\",large\n");
        }

        return csv.ToString();
    }
}
