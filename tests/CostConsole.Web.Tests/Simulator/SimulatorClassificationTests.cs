using System.ClientModel;
using System.Text;
using System.Text.Json;
using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Classification;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Rules;
using CostConsole.Routing.Tokens;
using CostConsole.Simulator;
using OpenAI;
using OpenAI.Embeddings;

namespace CostConsole.Web.Tests.Simulator;

/// <summary>The simulator as the test double for classifier models: label answers and embeddings.</summary>
public sealed class SimulatorClassificationTests
{
    private const string MiddlePrompt = "Compare these two replies and recommend the friendlier one.";

    private static readonly SimulatedModelProfile Nano = SimulatorOptions.DefaultModels.Single(model => model.Id == "gpt-4.1-nano");
    private static readonly SimulatedModelProfile Strong = SimulatorOptions.DefaultModels.Single(model => model.Id == "gpt-4.1");
    private static readonly string ClassifierPrompt = LlmClassifierDefinition.DefaultPrompt.Replace("{labels}", "small, medium, large", StringComparison.Ordinal);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public void A_classification_request_is_answered_with_the_label_for_the_prompts_difficulty()
    {
        Assert.Equal("small", Classify(Prompts.Faq, Strong));
        Assert.Equal("medium", Classify(MiddlePrompt, Strong));
        Assert.Equal("large", Classify(Prompts.MultiStepAnalysis, Strong));
    }

    [Fact]
    public void Any_labels_listed_in_the_prompt_are_used_in_order_from_easiest_to_hardest()
    {
        var prompt = "Grade the request. Answer with exactly one of these labels: easy, hard.";

        Assert.Equal("easy", Classify(Prompts.Faq, Strong, prompt));
        Assert.Equal("hard", Classify(Prompts.MultiStepAnalysis, Strong, prompt));
    }

    [Fact]
    public void A_weak_model_sometimes_answers_a_neighbouring_label_but_always_a_label_and_the_same_way_every_run()
    {
        string[] prompts = [.. Enumerable.Range(0, 60).Select(i => $"Question {i}: how do I reset my password?")];

        var first = prompts.Select(p => Classify(p, Nano)).ToList();
        var second = prompts.Select(p => Classify(p, Nano)).ToList();

        Assert.Equal(first, second);
        Assert.All(first, label => Assert.Contains(label, (string[])["small", "medium"]));
        Assert.Contains("medium", first);
        Assert.True(first.Count(l => l == "small") > first.Count / 2, string.Join(", ", first));
    }

    [Fact]
    public void A_request_without_the_labels_sentence_gets_an_ordinary_answer()
    {
        var completion = Engine().Simulate(Request(Prompts.Faq, Strong.Id, "You are a helpful assistant."), Strong);

        Assert.True(completion.Content.Length > 40);
    }

    [Fact]
    public async Task The_official_embeddings_client_gets_deterministic_unit_vectors_that_put_related_texts_closer()
    {
        await using var host = await SimulatorHost.StartAsync();
        var client = new EmbeddingClient("text-embedding-3-small", new ApiKeyCredential("sk-anything"), new OpenAIClientOptions { Endpoint = host.SimulatorEndpoint });

        OpenAIEmbeddingCollection embeddings = await client.GenerateEmbeddingsAsync(
            ["Where is my parcel?", "where is my parcel", "Where is my package? It has not arrived.", "Write a Python function that computes rolling averages."],
            cancellationToken: Cancellation);

        var vectors = embeddings.Select(e => e.ToFloats().ToArray()).ToArray();
        Assert.All(vectors, v => Assert.Equal(SimulatedEmbeddings.Dimensions, v.Length));
        Assert.All(vectors, v => Assert.Equal(1.0, Math.Sqrt(v.Sum(x => (double)x * x)), 3));
        Assert.Equal(1.0, Cosine(vectors[0], vectors[1]), 3);
        Assert.True(Cosine(vectors[0], vectors[2]) > Cosine(vectors[0], vectors[3]) + 0.2, $"{Cosine(vectors[0], vectors[2])} vs {Cosine(vectors[0], vectors[3])}");
    }

    [Fact]
    public async Task Float_and_base64_encodings_carry_the_same_vector_and_a_bad_input_is_refused()
    {
        await using var host = await SimulatorHost.StartAsync();

        using var floats = await PostEmbeddingsAsync(host, """{"model":"any","input":"Where is my parcel?","encoding_format":"float"}""");
        using var base64 = await PostEmbeddingsAsync(host, """{"model":"any","input":["Where is my parcel?"],"encoding_format":"base64"}""");
        using var bad = await host.Http.PostAsync("/sim/v1/embeddings", new StringContent("""{"model":"any","input":[]}""", Encoding.UTF8, "application/json"), Cancellation);

        var fromFloats = floats.RootElement.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        var fromBase64 = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(base64.RootElement.GetProperty("data")[0].GetProperty("embedding").GetBytesFromBase64()).ToArray();
        Assert.Equal(SimulatedEmbeddings.Embed("Where is my parcel?"), fromFloats);
        Assert.Equal(fromFloats, fromBase64);
        Assert.True(floats.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32() > 0);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
        using var error = JsonDocument.Parse(await bad.Content.ReadAsStringAsync(Cancellation));
        Assert.Equal("input", error.RootElement.GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task Through_the_router_the_llm_classifier_sends_a_support_question_to_small_and_an_analysis_to_large()
    {
        await using var host = await SimulatorHost.StartAsync();
        using var invoker = new OpenAIModelInvoker(new Loopback(host.BaseAddress), O200kTokenCounter.Instance);
        var snapshot = SnapshotCompiler.Compile(Config(new ClassifierDefinition
        {
            Kind = ClassifierKind.Llm,
            Llm = new() { Model = "gpt-4.1", Labels = new Dictionary<string, string> { ["small"] = "small", ["medium"] = "medium", ["large"] = "large" } },
        }), invoker: invoker);

        var faq = await DecideAsync(snapshot, Prompts.Faq);
        var analysis = await DecideAsync(snapshot, Prompts.MultiStepAnalysis);

        Assert.Equal("small", faq.Tier);
        Assert.Matches(@"llm gpt-4\.1 answered 'small' in \d+ ms$", faq.Reason);
        Assert.Equal("large", analysis.Tier);
        Assert.Equal(0, ((IClassifierCounters)snapshot.Classifier).UnparseableAnswers);
    }

    [Fact]
    public async Task Through_the_router_the_semantic_classifier_can_use_the_simulators_embeddings()
    {
        await using var host = await SimulatorHost.StartAsync();
        using var invoker = new OpenAIModelInvoker(new Loopback(host.BaseAddress), O200kTokenCounter.Instance);
        var snapshot = SnapshotCompiler.Compile(Config(new ClassifierDefinition
        {
            Kind = ClassifierKind.Semantic,
            Semantic = new()
            {
                Vectoriser = Vectoriser.Embeddings,
                EmbeddingModel = "sim/text-embedding-3-small",
                Threshold = 0.3,
                Neighbours = 1,
                Examples = new Dictionary<string, IReadOnlyList<string>>
                {
                    ["small"] = ["Where is my parcel?", "How do I reset my password?"],
                    ["large"] = ["Analyse our churn data and explain step by step why retention dropped."],
                },
            },
        }), invoker: invoker);

        var parcel = await DecideAsync(snapshot, "where is my parcel, it is late");
        var churn = await DecideAsync(snapshot, "Analyse the churn data and explain why retention dropped.");

        Assert.Equal("small", parcel.Tier);
        Assert.Contains("; nearest example 'Where is my parcel?', similarity", parcel.Reason, StringComparison.Ordinal);
        Assert.Equal("large", churn.Tier);
        Assert.Equal(3, ((IClassifierCounters)snapshot.Classifier).ModelCalls);
    }

    private static string Classify(string prompt, SimulatedModelProfile profile, string? system = null) =>
        Engine().Simulate(Request(prompt, profile.Id, system ?? ClassifierPrompt) with { MaxTokens = 5 }, profile).Content;

    private static SimulationEngine Engine() =>
        new(new SimulatorSettings(new SimulatorOptions { Seed = 42, LatencyScale = 0 }), O200kTokenCounter.Instance);

    private static ChatCompletionRequest Request(string prompt, string model, string system) => new()
    {
        Model = model,
        Messages = [new RequestMessage("system", system), new RequestMessage("user", prompt)],
    };

    private static double Cosine(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum();

    private static async Task<JsonDocument> PostEmbeddingsAsync(SimulatorHost host, string body)
    {
        using var response = await host.Http.PostAsync("/sim/v1/embeddings", new StringContent(body, Encoding.UTF8, "application/json"), Cancellation);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancellation));
    }

    private static async Task<RoutingDecision> DecideAsync(RoutingSnapshot snapshot, string prompt)
    {
        var body = JsonSerializer.Serialize(new { model = "auto", messages = new[] { new { role = "user", content = prompt } } });
        using var request = ChatRequestParser.Parse(Encoding.UTF8.GetBytes(body), null, O200kTokenCounter.Instance);
        return await snapshot.DecideAsync(request, Cancellation);
    }

    /// <summary>The simulator's default models and an embeddings model, one tier each, served by the test host.</summary>
    private static RoutingConfig Config(ClassifierDefinition classifier) => new()
    {
        Tiers = ["small", "medium", "large"],
        Providers = [new ProviderEndpoint("sim", "/sim/v1", null, TimeSpan.FromSeconds(30))],
        Models =
        [
            new CatalogueModel("gpt-4.1-nano", "sim", "Nano", "small", 128_000, ModelCapabilities.None),
            new CatalogueModel("gpt-4.1-mini", "sim", "Mini", "medium", 128_000, ModelCapabilities.None),
            new CatalogueModel("gpt-4.1", "sim", "Big", "large", 128_000, ModelCapabilities.None),
            new CatalogueModel("text-embedding-3-small", "sim", "Embeddings", "small", 8_192, ModelCapabilities.None),
        ],
        Prices = [],
        Mapping = new TierMappingDefinition("default", new Dictionary<string, IReadOnlyList<string>>
        {
            ["small"] = ["gpt-4.1-nano"],
            ["medium"] = ["gpt-4.1-mini"],
            ["large"] = ["gpt-4.1"],
        }),
        RuleSet = new RuleSetDefinition { DefaultTier = "medium", Classifier = classifier },
    };

    private sealed class Loopback(Uri address) : ILocalServerAddress
    {
        public Uri BaseAddress => address;
    }
}
