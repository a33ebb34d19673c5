namespace CostConsole.Simulator;

/// <summary>
/// Plausible customer-support and CRM sentences that simulated answers are assembled from.
/// Plain ASCII so every token maps back to the exact text it came from.
/// </summary>
internal static class AnswerBank
{
    private sealed record Topic(string[] Cues, string[] Openings);

    private static readonly Topic[] Topics =
    [
        new(["password", "log in", "login", "sign in", "2fa", "locked"],
        [
            "You can reset your password from the sign-in page by choosing \"Forgot password\" and following the link we email you.",
            "If your account is locked after several attempts, it unlocks automatically after 15 minutes.",
            "Two-factor authentication can be turned on under Settings, then Security.",
        ]),
        new(["invoice", "billing", "charge", "payment", "refund", "card", "receipt"],
        [
            "Your latest invoice is available under Billing, where you can download it as a PDF.",
            "Refunds are returned to the original payment method and usually appear within 5 to 10 business days.",
            "The charge you are seeing is the monthly renewal of your subscription, billed on the same day each month.",
            "You can update the card on file under Billing, then Payment methods.",
        ]),
        new(["order", "shipping", "delivery", "package", "tracking", "shipment"],
        [
            "Your order has shipped and the tracking link is in the confirmation email we sent you.",
            "Standard delivery takes 3 to 5 business days; express delivery arrives within 2.",
            "If a package shows as delivered but has not arrived, please wait 24 hours and then contact us so we can open a carrier claim.",
        ]),
        new(["plan", "subscription", "upgrade", "downgrade", "cancel", "trial", "pricing", "seat"],
        [
            "You can change your plan at any time under Settings, then Subscription, and the difference is prorated.",
            "Cancelling keeps your account active until the end of the current billing period.",
            "The Business plan adds shared pipelines, role-based access and priority support on top of the Team plan.",
        ]),
        new(["lead", "pipeline", "deal", "contact", "crm", "opportunit", "churn", "customer segment", "forecast", "revenue"],
        [
            "Looking at the pipeline, most deals stall between the demo and the proposal stage.",
            "Accounts with more than three active users in the first month renew at a noticeably higher rate.",
            "The contact records show that follow-ups sent within a day convert about twice as often as later ones.",
            "Revenue in the current quarter is tracking slightly ahead of the same period last year.",
        ]),
        new(["hours", "open", "support", "contact you", "phone", "email", "status", "outage", "down"],
        [
            "Our support team is available Monday to Friday, 8am to 6pm, and by email around the clock.",
            "All systems are currently operational; you can follow live updates on our status page.",
            "You can reach us through the in-app chat, which is the fastest way to get an answer.",
        ]),
    ];

    private static readonly string[] GeneralOpenings =
    [
        "Thanks for reaching out, I am happy to help with that.",
        "Good question, here is what you need to know.",
        "I have looked into this for you.",
    ];

    private static readonly string[] Details =
    [
        "The change takes effect immediately and you will receive a confirmation email.",
        "Your account settings keep a full history of these changes for the last 90 days.",
        "Administrators on your workspace can make this change for every user at once.",
        "If anything looks different from what you expect, the activity log shows who changed what and when.",
        "This applies to all workspaces on your account, including archived ones.",
        "You will find the same option in the mobile app under the profile menu.",
        "Any open tickets stay linked to your account, so nothing is lost along the way.",
        "Data is exported as a CSV file that opens in any spreadsheet tool.",
        "Notifications for this can be switched on per team or for the whole workspace.",
        "The customer record updates in real time, so your whole team sees the same information.",
        "Most customers finish this in under five minutes.",
        "Please keep your reference number handy in case you need to follow up.",
    ];

    private static readonly string[] Reasoning =
    [
        "First, it helps to separate the one-off effects from the recurring ones.",
        "Comparing the two options, the first costs less up front while the second scales better as volume grows.",
        "The main driver appears to be the drop in conversion after the trial ends, not the number of new sign-ups.",
        "A reasonable plan is to fix the onboarding gap first, then revisit pricing once the data is cleaner.",
        "Step by step: confirm the numbers, isolate the affected segment, then test one change at a time.",
        "The trade-off is between faster response times and a higher cost per conversation.",
        "Reconciling the two reports, the difference comes from refunds that were booked in the following month.",
        "If the current trend holds, the forecast for next quarter is roughly 8 percent above this one.",
        "The root cause is most likely the renewal reminder being sent after the card had already expired.",
    ];

    private static readonly string[] Closings =
    [
        "Let me know if there is anything else I can help with.",
        "I hope this helps; feel free to reply if you have more questions.",
        "If you would like, I can walk you through the next steps.",
    ];

    /// <summary>The opening sentences that fit the prompt's topic, or general ones when nothing matches.</summary>
    public static IReadOnlyList<string> OpeningsFor(string prompt)
    {
        var text = prompt.ToLowerInvariant();
        foreach (var topic in Topics)
        {
            if (topic.Cues.Any(cue => text.Contains(cue, StringComparison.Ordinal)))
            {
                return topic.Openings;
            }
        }

        return GeneralOpenings;
    }

    public static IReadOnlyList<string> DetailSentences => Details;

    public static IReadOnlyList<string> ReasoningSentences => Reasoning;

    public static IReadOnlyList<string> ClosingSentences => Closings;
}
