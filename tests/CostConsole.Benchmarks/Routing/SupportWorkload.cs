using System.Text;
using System.Text.Json;
using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Rules;

namespace CostConsole.Benchmarks.Routing;

/// <summary>
/// A large customer-support rule set (200 rules of every condition kind) and a 2,000-character support
/// ticket that none of them catches, so a decision evaluates every rule before the classifier answers.
/// The "middle rule fires" variant swaps rule #100 for one the ticket does match.
/// </summary>
internal static class SupportWorkload
{
    public const int RuleCount = 200;

    public const int MiddleRulePosition = 100;

    public const string MiddleRuleName = "duplicate-charge";

    public static readonly DateTimeOffset PriceStart = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    // Topics a support desk routes on; none of their words appear in the ticket below.
    private static readonly string[][] Topics =
    [
        ["gdpr", "data deletion", "right to be forgotten", "data export"],
        ["subpoena", "lawsuit", "legal hold", "court order"],
        ["chargeback", "dispute", "fraudulent transaction"],
        ["webhook", "callback url", "signature verification"],
        ["sso", "saml", "okta", "azure ad"],
        ["2fa", "authenticator app", "backup codes", "security key"],
        ["android", "ios", "mobile app crash", "push notification"],
        ["dark mode", "font size", "theme"],
        ["warranty", "repair", "replacement part"],
        ["damaged package", "missing item", "wrong size"],
        ["gift card", "promo code", "coupon", "voucher"],
        ["loyalty points", "rewards", "referral bonus"],
        ["affiliate", "partnership", "reseller"],
        ["press inquiry", "journalist", "interview request"],
        ["investor", "shareholder", "earnings call"],
        ["careers", "job application", "internship"],
        ["accessibility", "screen reader", "wcag"],
        ["allergy", "ingredients", "gluten", "vegan"],
        ["insurance claim", "accident", "injury"],
        ["prescription", "pharmacy", "dosage"],
        ["appointment", "reschedule", "booking"],
        ["hotel", "flight", "baggage", "boarding pass"],
        ["passport", "visa", "customs", "import duty"],
        ["vat number", "tax exemption", "w-9", "1099"],
        ["payroll", "timesheet", "overtime"],
        ["vacation", "sick leave", "parental leave"],
        ["laptop", "vpn", "printer", "wifi"],
        ["outage", "status page", "incident", "postmortem"],
        ["kubernetes", "docker", "terraform", "helm chart"],
        ["sql query", "python script", "javascript", "typescript"],
        ["excel formula", "pivot table", "vlookup"],
        ["poem", "joke", "short story", "haiku"],
        ["translate", "spanish", "french", "german"],
        ["grammar", "spelling", "proofread"],
        ["resume", "cover letter", "linkedin profile"],
        ["tweet", "slogan", "marketing copy", "tagline"],
        ["seo", "keyword research", "backlinks"],
        ["ad campaign", "cpc", "conversion rate"],
        ["forecast", "quarterly projection", "budget variance"],
        ["contract renewal", "msa", "sla breach"],
        ["purchase order", "procurement", "vendor onboarding"],
        ["soc 2", "iso 27001", "penetration test", "security questionnaire"],
        ["api key rotation", "rate limit", "quota increase"],
        ["sandbox", "staging environment", "test mode"],
        ["migration", "data import", "csv upload"],
        ["white label", "custom domain", "branding"],
        ["on premise", "self hosted", "air gapped"],
        ["churn risk", "cancellation survey", "win back"],
        ["nps", "satisfaction survey", "feedback form"],
        ["onboarding call", "kickoff meeting", "training session"],
        ["feature request", "roadmap", "beta program"],
        ["bug report", "stack trace", "crash log"],
        ["latency spike", "slow dashboard", "timeout error"],
        ["email bounce", "spf", "dkim", "dmarc"],
        ["sms delivery", "short code", "opt out"],
        ["voice call", "ivr", "call recording"],
        ["live chat widget", "chatbot handoff", "canned response"],
        ["shipping label", "return label", "pickup"],
        ["bulk order", "wholesale", "volume discount"],
        ["nonprofit discount", "education discount", "student plan"],
        ["sunset", "deprecation", "end of life"],
        ["hipaa", "phi", "baa"],
        ["pci", "tokenization", "card vault"],
        ["audit log", "activity history", "retention period"],
        ["role permissions", "rbac", "admin rights"],
        ["calendar sync", "outlook plugin", "google workspace"],
        ["slack integration", "teams integration", "zapier"],
        ["crm sync", "salesforce", "hubspot"],
        ["pdf export", "print layout", "letterhead"],
        ["timezone", "daylight saving", "locale settings"],
    ];

    /// <summary>The regexes the rule set uses: what support desks match on (tracking numbers, invoices, PII, links, errors, code).</summary>
    public static readonly string[] Patterns =
    [
        @"\b[A-Z]{2}\d{9}[A-Z]{2}\b",
        @"\bINV-\d{6,}\b",
        @"\b\d{3}-\d{2}-\d{4}\b",
        @"\b(?:\d[ -]?){13,16}\b",
        @"\b[\w.+-]+@[\w-]+\.[a-z]{2,}\b",
        @"\bhttps?://\S+",
        @"(?:error|exception)\s+code\s*[:#]?\s*\d{3,}",
        @"```[a-z]*\n",
    ];

    /// <summary>The ticket: 2,000 characters of a realistic billing complaint.</summary>
    public static readonly string Ticket = BuildTicket();

    public static RoutingSnapshot Compile(bool middleRuleFires) =>
        SnapshotCompiler.Compile(Config(Rules(middleRuleFires)), PriceStart.AddDays(1));

    /// <summary>The chat completions body a client would send with the ticket as its last user message.</summary>
    public static byte[] RequestBody()
    {
        var body = new
        {
            model = "auto",
            messages = new object[]
            {
                new { role = "system", content = "You are the support assistant of Northwind Cloud. Answer politely, cite the customer's plan, and offer to escalate when unsure." },
                new { role = "user", content = Ticket },
            },
            metadata = new { team = "support", channel = "email" },
            user = "cust-4821",
            temperature = 0.2,
        };
        return JsonSerializer.SerializeToUtf8Bytes(body);
    }

    /// <summary>Fails loudly when the workload does not do what its name says, so no number is reported for the wrong thing.</summary>
    public static void Check(RoutingSnapshot snapshot, ChatRequest request, RuleOutcome outcome)
    {
        var decision = snapshot.DecideAsync(request).AsTask().GetAwaiter().GetResult();
        var expected = outcome == RuleOutcome.MiddleRuleFires
            ? (DecisionSource.Rule, SupportWorkload.MiddleRuleName, MiddleRulePosition)
            : (DecisionSource.Classifier, (string?)null, RuleCount);
        var actual = (decision.Source, decision.Rule, decision.RulesEvaluated);
        if (snapshot.RuleCount != RuleCount || actual != expected || Ticket.Length != 2000)
        {
            throw new InvalidOperationException(
                $"The workload is off: {snapshot.RuleCount} rules, a {Ticket.Length}-character ticket, decided {actual} where {expected} was expected ({decision.Reason}).");
        }
    }

    public static IReadOnlyList<RuleDefinition> Rules(bool middleRuleFires)
    {
        var rules = new List<RuleDefinition>(RuleCount);
        var tiers = new[] { "small", "medium", "large" };
        for (var position = 1; position <= RuleCount; position++)
        {
            var topic = Topics[(position * 13) % Topics.Length];
            var next = Topics[(position * 13 + 29) % Topics.Length];
            var tier = tiers[position % tiers.Length];
            var name = $"{topic[0].Replace(' ', '-')}-{position:000}";
            RuleCondition[] conditions = position switch
            {
                MiddleRulePosition when middleRuleFires =>
                    [new KeywordCondition(KeywordMatch.Any, ["charged twice", "duplicate charge", "double billed"])],
                2 => [new TokenLengthCondition(8000, null)],
                _ when position % 25 == 7 => [new RegexCondition(Patterns[(position / 25) % Patterns.Length])],
                _ when position % 20 == 11 => [new TokenLengthCondition(4000 + position * 10, null)],
                _ when position % 20 == 5 => [new MetadataCondition(position % 40 == 5 ? "team" : "channel", position % 40 == 5 ? ["sales", "legal"] : ["phone"]), new KeywordCondition(KeywordMatch.Any, topic)],
                _ when position % 20 == 15 => [new ToolsCondition(true), new KeywordCondition(KeywordMatch.Any, topic)],
                _ when position % 25 == 19 => [new TurnsCondition(4, null), new KeywordCondition(KeywordMatch.Any, topic)],
                _ when position % 30 == 13 => [new MetadataCondition("tags", ["vip"])],
                _ when position % 10 == 3 => [new KeywordCondition(KeywordMatch.All, [topic[0], next[^1]])],
                _ when position % 10 == 8 => [new KeywordCondition(KeywordMatch.Any, [.. topic, .. next]), new TokenLengthCondition(null, 200)],
                _ => [new KeywordCondition(KeywordMatch.Any, topic)],
            };
            if (position == MiddleRulePosition && middleRuleFires)
            {
                name = MiddleRuleName;
            }

            rules.Add(new RuleDefinition { Name = name, Conditions = conditions, Action = RuleAction.ToTier(tier) });
        }

        return rules;
    }

    public static RoutingConfig Config(IReadOnlyList<RuleDefinition> rules) => new()
    {
        Tiers = ["small", "medium", "large"],
        Providers = [new ProviderEndpoint("openai", "http://127.0.0.1:9/v1", "k", TimeSpan.FromSeconds(30))],
        Models =
        [
            new CatalogueModel("gpt-4.1-nano", "openai", "GPT-4.1 nano", "small", 1_047_576, ModelCapabilities.Tools),
            new CatalogueModel("gpt-4.1-mini", "openai", "GPT-4.1 mini", "medium", 1_047_576, ModelCapabilities.Tools),
            new CatalogueModel("gpt-4.1", "openai", "GPT-4.1", "large", 1_047_576, ModelCapabilities.Tools),
        ],
        Prices =
        [
            new ModelPrice("openai/gpt-4.1-nano", PriceStart, 0.10m, 0.025m, 0.40m),
            new ModelPrice("openai/gpt-4.1-mini", PriceStart, 0.40m, 0.10m, 1.60m),
            new ModelPrice("openai/gpt-4.1", PriceStart, 2.00m, 0.50m, 8.00m),
        ],
        Mapping = new TierMappingDefinition("default", new Dictionary<string, IReadOnlyList<string>>
        {
            ["small"] = ["gpt-4.1-nano"],
            ["medium"] = ["gpt-4.1-mini"],
            ["large"] = ["gpt-4.1"],
        }),
        RuleSet = new RuleSetDefinition { Rules = rules, DefaultTier = "medium" },
        RuleSetVersion = 1,
    };

    private static string BuildTicket()
    {
        const string text =
            "Hello Northwind team, I am writing on behalf of our small design studio, which has used your cloud workspace for almost three years. " +
            "This month something went wrong with our subscription and I would like it sorted out before our accountant closes the books. " +
            "On the fourth we moved from the Team plan to the Business plan because we hired two new designers and needed more storage. " +
            "The upgrade itself went smoothly and the new seats appeared right away, so no complaints there. " +
            "However, when I opened our statement yesterday I saw that we were charged twice for the same period: once for the old plan at the full monthly price, " +
            "and once more for the new plan, also at the full price, with no proration at all. " +
            "Your pricing page says that when a customer changes plans in the middle of a cycle, the unused part of the old plan is credited against the new one. " +
            "That is not what happened here. The two amounts add up to almost twice what we normally pay, which is a lot for a studio of our size. " +
            "I have attached nothing because I could not find a way to download the statement from the workspace settings; the button just spins. " +
            "Could you please check the history of our workspace, confirm which amounts are correct, and give back the difference to the card on file? " +
            "If a credit on the next statement is easier for you, that works too, as long as it is clearly shown. " +
            "I would also like to understand whether the seats we added will be billed from the day we added them or from the start of the next cycle, " +
            "because our finance person needs to plan for it. " +
            "Finally, one of our designers mentioned that her shared folders became read only for about an hour after the upgrade. " +
            "It fixed itself, but we would like to know whether anything else might still be half migrated. " +
            "Thank you for your help, and sorry for the long message. Kind regards, Maria, studio manager. " +
            "P.S. Our workspace name is on the statement header; our finance contact changed last spring, so please answer this address rather than the old one.";
        var ticket = new StringBuilder(text);
        while (ticket.Length < 2000)
        {
            ticket.Append(" Thanks again.");
        }

        ticket.Length = 2000;
        return ticket.ToString();
    }
}
