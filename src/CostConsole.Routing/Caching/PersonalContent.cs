using System.Text.RegularExpressions;
using CostConsole.Routing.Requests;

namespace CostConsole.Routing.Caching;

/// <summary>
/// The one place that decides whether a request is about one person's account: such a request is never stored and
/// never served from the semantic level: a metadata flag or tag, what the personal-data detectors found in the request
/// (the scan routing ran; never a second one), or account-specific content the detectors do not name.
/// </summary>
public static partial class PersonalContent
{
    /// <summary>The metadata key (or tag) a client sets to mark a request personal.</summary>
    public const string Flag = "personal";

    /// <summary>Why the request is personal, or null when nothing says it is.</summary>
    public static string? Reason(ChatRequest request)
    {
        if (request.Tags.Contains(Flag) || (request.Metadata.TryGetValue(Flag, out var flag) && IsTrue(flag)))
        {
            return "marked personal";
        }

        if (request.PersonalData is { Any: true } detected)
        {
            return "personal data: " + detected.Summary;
        }

        foreach (var turn in request.Messages)
        {
            if (turn.Role == "user" && Detect(turn.Text) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>Account-specific content in a text: an e-mail address, an order or account number, an amount of money.</summary>
    public static string? Detect(string text)
    {
        if (Email().IsMatch(text))
        {
            return "an e-mail address";
        }

        if (AccountNumber().IsMatch(text))
        {
            return "an order or account number";
        }

        return Amount().IsMatch(text) ? "an amount of money" : null;
    }

    private static bool IsTrue(string value) =>
        value.Equals("true", StringComparison.OrdinalIgnoreCase) || value == "1" || value.Equals("yes", StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex(@"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")]
    private static partial Regex Email();

    /// <summary>"order 12345", "invoice #A-9912", "ORD-48213", "account no. 4421…", or any run of five or more digits.</summary>
    [GeneratedRegex(@"(?ix)
        \b(?:order|invoice|account|acct|ticket|case|booking|reservation|tracking|customer|member|policy|contract|reference|ref|iban|card)
        \s*(?:no\.?|number|id|\#)?\s*[:\#]?\s*[A-Z]*[-\#]?\d{3,}
        | \b[A-Z]{2,5}-?\d{4,}\b
        | \#\d{3,}
        | \b\d{5,}\b")]
    private static partial Regex AccountNumber();

    [GeneratedRegex(@"(?ix)
        [$€£¥₹]\s?\d
        | \d[\d,.]*\s?(?:usd|eur|gbp|chf|jpy|dollars?|euros?|pounds?)\b")]
    private static partial Regex Amount();
}
