using System.Net;
using System.Net.Http.Json;
using CostConsole.Data.Entities;
using CostConsole.Embeddings;
using CostConsole.Routing.Classification;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Embeddings;
using CostConsole.Routing.Rules;
using CostConsole.Web.Extensions;
using CostConsole.Web.Routing;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CostConsole.Web.Tests.Api;

/// <summary>The semantic classifier with the local MiniLM model, through /v1 over real HTTP.</summary>
public sealed class SemanticRoutingTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    internal static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> Examples = new Dictionary<string, IReadOnlyList<string>>
    {
        ["small"] = ["Where is my parcel?", "How do I reset my password?", "What are your opening hours?", "How do I cancel my subscription?"],
        ["medium"] = ["Summarise this customer email in three bullet points.", "Rewrite this paragraph in a friendlier tone.", "Translate this product description into French."],
        ["large"] =
        [
            "Analyse our quarterly churn data and explain why retention dropped, step by step.",
            "Write a Python function that parses a CSV file and computes rolling averages, with tests.",
            "Design a database schema for a multi-tenant invoicing system and justify the design.",
        ],
    };

    internal static async Task PublishAsync(IServiceProvider services, Vectoriser vectoriser)
    {
        var rules = services.GetRequiredService<RuleSetService>();
        var draft = await rules.DraftAsync("test", TestContext.Current.CancellationToken);
        var definition = draft.Definition with
        {
            Rules = [],
            Classifier = new ClassifierDefinition
            {
                Kind = ClassifierKind.Semantic,
                Semantic = new SemanticClassifierDefinition { Examples = Examples, Threshold = 0.3, Neighbours = 1, Vectoriser = vectoriser },
            },
        };
        var saved = await rules.SaveDraftAsync(definition, draft.ConcurrencyStamp, "test", TestContext.Current.CancellationToken);
        Assert.True(saved.Done, saved.Summary);
        var published = await rules.PublishAsync(saved.Version!.ConcurrencyStamp, "semantic test", "test", TestContext.Current.CancellationToken);
        Assert.True(published.Done, published.Summary);
    }

    internal static async Task<(HttpResponseMessage Response, RequestLogRow Row)> SendAsync(CostConsoleFactory factory, string prompt)
    {
        using var client = factory.CreateApiClient();
        var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = prompt } } }, TestContext.Current.CancellationToken);
        await response.Content.LoadIntoBufferAsync(TestContext.Current.CancellationToken);
        var id = response.Headers.GetValues("x-costconsole-request-id").Single();
        return (response, (await factory.LedgerAsync()).Single(r => r.RequestId == id));
    }

    [Theory]
    [InlineData("My package still hasn't shown up, can you check on the delivery?", "small")]
    [InlineData("I forgot my login credentials and can't sign in.", "small")]
    [InlineData("Investigate why customers left us last quarter, reasoning through each cause, and propose a plan.", "large")]
    public async Task A_request_no_rule_decides_lands_on_the_tier_of_the_examples_that_mean_the_same_and_the_trace_names_MiniLM(string prompt, string tier)
    {
        await PublishAsync(factory.Services, Vectoriser.MiniLm);

        var (response, row) = await SendAsync(factory, prompt);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(tier, row.Tier);
        Assert.Contains($"semantic (MiniLM): {tier} ", row.Decision, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Switching_the_vectoriser_and_publishing_recomputes_the_example_vectors_with_the_new_one()
    {
        var routing = factory.Services.GetRequiredService<RoutingState>();

        await PublishAsync(factory.Services, Vectoriser.HashedTfIdf);
        var tfIdf = Assert.IsAssignableFrom<IVectorisedClassifier>(routing.Current.Classifier);
        await PublishAsync(factory.Services, Vectoriser.MiniLm);
        var miniLm = Assert.IsAssignableFrom<IVectorisedClassifier>(routing.Current.Classifier);

        Assert.Equal("TF-IDF", tfIdf.Vectoriser);
        Assert.Equal(("MiniLM", 10, (string?)null), (miniLm.Vectoriser, miniLm.ExampleCount, miniLm.ExampleError));
        var (_, row) = await SendAsync(factory, "My package still hasn't shown up, can you check on the delivery?");
        Assert.Contains("semantic (MiniLM): small ", row.Decision, StringComparison.Ordinal);
    }
}

/// <summary>The app with a MiniLM model that cannot load, as on a machine without ONNX Runtime's native library.</summary>
public sealed class UnloadableModelFactory : CostConsoleFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<IEmbedder>();
            services.AddSingleton<IEmbedder>(new MiniLmEmbedder(new MiniLmOptions(), () => throw new DllNotFoundException("Unable to load shared library 'onnxruntime'")));
        });
    }
}

public sealed class UnloadableModelTests(UnloadableModelFactory factory) : IClassFixture<UnloadableModelFactory>
{
    [Fact]
    public async Task A_model_that_cannot_load_sends_requests_to_the_default_tier_with_the_reason_and_a_restart_still_starts()
    {
        await SemanticRoutingTests.PublishAsync(factory.Services, Vectoriser.MiniLm);

        var (response, row) = await SemanticRoutingTests.SendAsync(factory, "My package still hasn't shown up, can you check on the delivery?");
        var reloaded = await factory.Services.GetRequiredService<RoutingPublisher>().ReloadAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("medium", row.Tier);
        Assert.Contains("semantic (MiniLM): failed (the MiniLM model could not be loaded: Unable to load shared library 'onnxruntime'); default tier medium", row.Decision, StringComparison.Ordinal);
        Assert.Equal(
            "the MiniLM model could not be loaded: Unable to load shared library 'onnxruntime'",
            Assert.IsAssignableFrom<IVectorisedClassifier>(reloaded.Classifier).ExampleError);
    }
}
