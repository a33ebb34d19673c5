namespace CostConsole.Training;

/// <summary>
/// Prompts written for the shipped router, covering what the public files lack: customer-support phrasing of FAQs
/// and account changes, drafting, code, long documents and multi-step analysis. Templates crossed with fillers.
/// </summary>
internal static class WrittenExamples
{
    private static readonly string[] Items = ["order", "parcel", "package", "delivery", "shipment", "refund", "return", "invoice"];
    private static readonly string[] Products = ["headphones", "running shoes", "coffee machine", "laptop bag", "winter jacket", "phone case", "desk lamp", "gift card"];
    private static readonly string[] Days = ["Saturday", "Sunday", "public holidays", "Christmas Eve", "weekdays", "Monday"];

    public static IEnumerable<(string Prompt, int Tier)> All()
    {
        string[] faq =
        [
            "Where is my {item}?", "What's the status of my {item} #{n}?", "Has my {item} shipped yet?", "When will my {item} arrive?",
            "Can I track my {item}?", "What are your opening hours on {day}?", "Are you open on {day}?", "What time do you close on {day}?",
            "How do I reset my password?", "I forgot my password, how can I reset it?", "The password reset link doesn't work",
            "What is your return policy for {product}?", "How long does delivery take?", "Do you ship {product} abroad?",
            "How much is shipping for {product}?", "Is the {product} in stock?", "Do you have a store near me?",
            "What payment methods do you accept?", "How do I contact customer support?", "Where can I find my invoice?",
            "what is the warranty on the {product}", "hi, is my {item} on its way?", "tracking number for order {n}?",
            "I forgot my password", "How can I reset my password? I can't log in.", "reset my password please", "I'm locked out, how do I get a new password?",
            "Can I return the {product} I bought last week?", "How do I return my {product}?", "Do you offer free returns?", "When do I get my refund for the {product}?",
            "What are your opening hours?", "When are you open?", "Is the store open on {day}?", "What is your phone number?",
        ];
        string[] account =
        [
            "Please change the delivery address on order {n} to 12 Station Road, Leeds.", "I want to upgrade my plan to the business tier and move my two colleagues onto it.",
            "Cancel my subscription at the end of this billing period and refund the unused add-on.", "Update my billing address and use the new card for the next invoice.",
            "Add a second user to my account and give them access to invoices only.", "Change the email on my account and send the confirmation to the old one too.",
            "Merge my two accounts and keep the order history of both.", "Swap the {product} in order {n} for a different size and keep the same delivery date.",
            "Pause my subscription for two months, then restart it on the annual plan.", "Transfer my loyalty points to my partner's account and close mine.",
            "Split the payment for order {n} between my card and my gift card.", "Please change my plan, apply the discount code and tell me the new monthly price.",
            "Draft a polite reply to a customer whose {product} arrived damaged, offering a replacement.", "Write a short email to confirm the refund for order {n}.",
            "Rewrite this message so it sounds friendlier: your {item} is delayed.", "Summarize this customer's complaint about the {product} in two sentences.",
        ];
        string[] hard =
        [
            "Write a Python function that parses a CSV of orders, groups them by customer and returns the top 10 by revenue, with unit tests.",
            "Here is my C# code:\n```csharp\npublic int Sum(int[] xs) { int s; foreach (var x in xs) s += x; return s; }\n```\nWhy doesn't it compile, and how would you make it handle overflow?",
            "Write a SQL query that finds customers whose order count dropped by more than 50% quarter over quarter, and explain the window functions you use.",
            "Refactor this JavaScript to use async/await and add error handling:\n```js\nfetch(url).then(r => r.json()).then(d => { render(d); }).catch(e => console.log(e));\n```",
            "Analyse our churn: compare the last three quarters by plan and region, find the likely root causes and propose a retention strategy with expected impact.",
            "A store sells {product} at $49 with a 15% discount, then adds 8% tax; shipping is $6 below $60 and free above. What does a customer pay for three, step by step?",
            "Compare three pricing strategies for our {product} line, model the margin under each over 12 months, and recommend one with the trade-offs.",
            "Prove that the sum of the first n odd numbers is n^2, then generalise to the sum of the first n terms of any arithmetic sequence.",
            "Design a database schema for a support ticketing system with SLAs, escalations and audit history, and explain the indexes.",
            "Reconcile these two ledgers line by line, explain every difference and estimate the total impact on this month's revenue.",
            "Forecast next quarter's ticket volume from this monthly series: 1200, 1350, 1280, 1500, 1610, 1720. Explain the method and its uncertainty.",
            "Write a regular expression that validates IBANs for five EU countries and explain each part; then write code to check the checksum.",
            "Solve for x and y: 3x + 2y = 16 and x - y = 2, then explain how the solution changes if the second equation becomes x - 2y = 2.",
        ];

        var n = 40_000;
        foreach (var template in faq)
        {
            for (var k = 0; k < 6; k++)
            {
                yield return (Fill(template, k, ref n), 0);
            }
        }

        foreach (var template in account)
        {
            for (var k = 0; k < 6; k++)
            {
                yield return (Fill(template, k, ref n), 1);
            }
        }

        foreach (var template in hard)
        {
            for (var k = 0; k < 6; k++)
            {
                yield return (Fill(template, k, ref n), 2);
            }
        }

        // Long documents pasted for review: large whatever the question.
        string[] paragraphs =
        [
            "The supplier shall deliver the goods within thirty days of the purchase order and bears the risk until delivery. ",
            "Either party may terminate this agreement with ninety days' written notice; fees already paid are not refundable. ",
            "Liability for indirect or consequential loss is excluded, except where the law does not allow such an exclusion. ",
            "Customer data is processed only on documented instructions and deleted within sixty days after the end of the service. ",
            "Quarterly revenue grew by 4% while support costs rose by 11%, driven by longer handling times in the enterprise segment. ",
        ];
        string[] asks = ["Summarise the key risks in this contract.", "What obligations does this document create for us?", "Review this report and list the three most important findings.", "Extract every deadline and its consequence."];
        for (var k = 0; k < 24; k++)
        {
            var body = string.Concat(Enumerable.Range(0, 14 + k).Select(i => paragraphs[(i * 3 + k) % paragraphs.Length]));
            yield return (asks[k % asks.Length] + "\n\n" + body, 2);
        }
    }

    private static string Fill(string template, int k, ref int n) => template
        .Replace("{item}", Items[(k + n) % Items.Length], StringComparison.Ordinal)
        .Replace("{product}", Products[(k * 3 + n) % Products.Length], StringComparison.Ordinal)
        .Replace("{day}", Days[(k + n) % Days.Length], StringComparison.Ordinal)
        .Replace("{n}", (n++ * 7919 % 900_000 + 100_000).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
}
