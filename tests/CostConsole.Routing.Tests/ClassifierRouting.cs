using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Rules;

namespace CostConsole.Routing.Tests;

/// <summary>The test catalogue with a classifier, plus a small labelled set of support prompts.</summary>
internal static class ClassifierRouting
{
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> Examples = new Dictionary<string, IReadOnlyList<string>>
    {
        ["small"] =
        [
            "Where is my parcel?",
            "How do I reset my password?",
            "What are your opening hours?",
            "Can I change my delivery address?",
            "How do I cancel my subscription?",
            "Do you ship to Canada?",
            "What is the status of my order?",
            "How can I update my billing email?",
        ],
        ["medium"] =
        [
            "Summarise this customer email in three bullet points.",
            "Rewrite this paragraph in a friendlier tone.",
            "Draft a polite reply to a customer asking for a refund.",
            "Translate this product description into French.",
            "Write a short blog post announcing our new feature.",
            "Summarise the meeting notes below and list the action items.",
            "Write a product description for a waterproof hiking jacket.",
        ],
        ["large"] =
        [
            "Analyse our quarterly churn data and explain why retention dropped, step by step.",
            "Compare three pricing strategies and recommend one, with the trade-offs of each.",
            "Write a Python function that parses a CSV file and computes rolling averages, with tests.",
            "Design a database schema for a multi-tenant invoicing system and justify the design.",
            "Build a financial forecast for the next five years with scenario analysis.",
            "Debug this race condition in our C# worker and propose a fix with reasoning.",
            "Evaluate the legal and operational risks of moving our data centre to another country.",
        ],
    };

    /// <summary>Prompts the classifier was not given, with the tier a person would choose.</summary>
    public static readonly (string Prompt, string Tier)[] Unseen =
    [
        ("where is my order, it has not arrived", "small"),
        ("How do I change my password?", "small"),
        ("Are you open on Sundays? What are the hours?", "small"),
        ("can I cancel my order and get my money back", "small"),
        ("Please summarise this email thread into bullet points.", "medium"),
        ("Rewrite this message so it sounds more friendly.", "medium"),
        ("Translate this paragraph into German.", "medium"),
        ("Draft a reply to a customer who wants a refund for a late delivery.", "medium"),
        ("Analyse the churn numbers by cohort and explain step by step why retention fell.", "large"),
        ("Write a Python function to parse a CSV and compute moving averages; include unit tests.", "large"),
        ("Compare two database designs for multi-tenant billing and recommend one with trade-offs.", "large"),
        ("Debug this deadlock in our C# service and explain the fix.", "large"),
    ];

    public static readonly SemanticClassifierDefinition Semantic = new() { Examples = Examples, Threshold = 0.2, Neighbours = 3, Vectoriser = Vectoriser.HashedTfIdf };

    public static readonly LlmClassifierDefinition Llm = new()
    {
        Model = "nano",
        Labels = new Dictionary<string, string> { ["small"] = "small", ["medium"] = "medium", ["large"] = "large" },
    };

    public static RoutingConfig Config(ClassifierDefinition classifier, IReadOnlyList<RuleDefinition>? rules = null, CatalogueModel? extraModel = null)
    {
        var config = TestRouting.Config(rules ?? []);
        return config with
        {
            RuleSet = config.RuleSet with { Classifier = classifier },
            Models = extraModel is null ? config.Models : [.. config.Models, extraModel],
        };
    }

    public static RoutingSnapshot Snapshot(ClassifierDefinition classifier, IModelInvoker? invoker = null, IReadOnlyList<RuleDefinition>? rules = null) =>
        SnapshotCompiler.Compile(Config(classifier, rules), TestRouting.PriceStart.AddDays(1), invoker);

    public static RoutingConfigException Refused(ClassifierDefinition classifier, IModelInvoker? invoker = null, CatalogueModel? extraModel = null) =>
        Assert.Throws<RoutingConfigException>(() => SnapshotCompiler.Compile(Config(classifier, extraModel: extraModel), TestRouting.PriceStart.AddDays(1), invoker));
}
