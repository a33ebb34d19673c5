using System.Text;
using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Protocols.Embeddings;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Rules;
using CostConsole.Routing.Tokens;

namespace CostConsole.Routing.Tests;

/// <summary>Embeddings models in the catalogue: where <c>/v1/embeddings</c> sends a request, and what they may not be used for.</summary>
public sealed class EmbeddingsRoutingTests
{
    private static RoutingConfig Config(RoutingConfig? baseConfig = null)
    {
        var config = baseConfig ?? TestRouting.Config([]);
        return config with
        {
            Models =
            [
                .. config.Models,
                new CatalogueModel("embed-large", "sim", "Embed large", "large", 8_191, ModelCapabilities.None) { Kind = ModelKind.Embedding },
                new CatalogueModel("embed-small", "sim", "Embed small", "small", 8_191, ModelCapabilities.None) { Kind = ModelKind.Embedding },
                new CatalogueModel("embed-backup", "backup", "Embed backup", "small", 8_191, ModelCapabilities.None) { Kind = ModelKind.Embedding },
            ],
            Prices =
            [
                .. config.Prices,
                new ModelPrice("sim/embed-large", TestRouting.PriceStart, 0.13m, null, 0m),
                new ModelPrice("sim/embed-small", TestRouting.PriceStart, 0.02m, null, 0m),
                new ModelPrice("backup/embed-backup", TestRouting.PriceStart, 0.05m, null, 0m),
            ],
        };
    }

    private static RoutingSnapshot Snapshot() => SnapshotCompiler.Compile(Config(), TestRouting.PriceStart.AddDays(1));

    private static EmbeddingsRequest Parse(string json) =>
        EmbeddingsRequestParser.Parse(Encoding.UTF8.GetBytes(json), null, O200kTokenCounter.Instance);

    private static RoutingDecision Decide(RoutingSnapshot snapshot, string model)
    {
        using var request = Parse($$"""{"model":"{{model}}","input":"hello"}""");
        return snapshot.DecideEmbeddings(request.Chat);
    }

    [Fact]
    public void Auto_goes_to_the_cheapest_embeddings_model_and_a_tier_to_the_cheapest_of_that_tier()
    {
        var snapshot = Snapshot();

        Assert.Equal(["sim/embed-small", "backup/embed-backup", "sim/embed-large"], snapshot.Embeddings.Models.Select(m => m.Key));
        Assert.Equal("sim/embed-small", Assert.Single(Decide(snapshot, "auto").Candidates).Key);
        Assert.Equal("sim/embed-large", Assert.Single(Decide(snapshot, "large").Candidates).Key);
        Assert.Equal("sim/embed-small", Assert.Single(Decide(snapshot, "small").Candidates).Key);
        var pinned = Decide(snapshot, "backup/embed-backup");
        Assert.Equal(("backup/embed-backup", DecisionSource.PinnedModel), (Assert.Single(pinned.Candidates).Key, pinned.Source));
    }

    [Theory]
    [InlineData("mini", "model_not_embeddings")]
    [InlineData("text-embedding-9", "model_not_found")]
    [InlineData("medium", "model_not_found")]
    public void A_name_that_is_not_an_embeddings_route_is_refused_naming_what_would_work(string model, string code)
    {
        var refused = Assert.Throws<ChatRequestException>(() => Decide(Snapshot(), model));

        Assert.Equal((code, "model"), (refused.Code, refused.Param));
        Assert.Contains("embed-small", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_embeddings_model_cannot_answer_chat_nor_serve_a_chat_tier()
    {
        var snapshot = Snapshot();
        var refused = Assert.Throws<ChatRequestException>(() => TestRouting.Decide(snapshot, TestRouting.Request("hello", model: "embed-small")));
        var config = Config();
        var mapped = config with { Mapping = new TierMappingDefinition("default", new Dictionary<string, IReadOnlyList<string>> { ["small"] = ["nano", "embed-small"], ["medium"] = ["mini"], ["large"] = ["big"] }) };
        var invalid = Assert.Throws<RoutingConfigException>(() => SnapshotCompiler.Compile(mapped, TestRouting.PriceStart.AddDays(1)));

        Assert.Equal("model_not_chat", refused.Code);
        Assert.Contains("/v1/embeddings", refused.Message, StringComparison.Ordinal);
        Assert.Contains(invalid.Errors, e => e.Contains("sim/embed-small, an embeddings model", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_an_embeddings_model_auto_says_an_admin_must_add_one()
    {
        var snapshot = TestRouting.Snapshot();

        var refused = Assert.Throws<ChatRequestException>(() => Decide(snapshot, "auto"));

        Assert.Equal("model_not_found", refused.Code);
        Assert.Contains("no enabled embeddings model", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Personal_data_is_embedded_only_by_a_provider_that_may_receive_it()
    {
        var personalData = new RuleDefinition { Name = "personal-data", Conditions = [new PersonalDataCondition([])], Action = RuleAction.ToModel("big-backup") };
        var config = Config(TestRouting.Config([personalData]));
        var approved = config with { Providers = [.. config.Providers.Select(p => p.Name == "backup" ? p with { MayReceivePersonalData = true } : p)] };
        var snapshot = SnapshotCompiler.Compile(approved, TestRouting.PriceStart.AddDays(1));

        using var personal = Parse("""{"model":"auto","input":["Refund jane@example.com"]}""");
        var refused = Assert.Throws<ChatRequestException>(() => snapshot.DecideEmbeddings(personal.Chat));
        using var pinned = Parse("""{"model":"embed-backup","input":["Refund jane@example.com"]}""");

        Assert.Equal(("personal_data_not_allowed", "input"), (refused.Code, refused.Param));
        Assert.Equal("backup/embed-backup", Assert.Single(snapshot.DecideEmbeddings(pinned.Chat).Candidates).Key);
        Assert.Equal("sim/embed-small", Decide(snapshot, "auto").Candidates[0].Key);
    }

    [Fact]
    public void A_request_is_parsed_once_into_one_user_turn_per_input()
    {
        using var request = Parse("""{"model":"auto","input":["first text","second text"],"encoding_format":"base64","dimensions":64,"user":"u-1"}""");

        Assert.Equal(["first text", "second text"], request.Inputs);
        Assert.Equal((EmbeddingEncoding.Base64, 64), (request.Encoding, request.Dimensions));
        Assert.Equal(["user", "user"], request.Chat.Messages.Select(m => m.Role));
        Assert.Equal(["first text", "second text"], request.Chat.Messages.Select(m => m.Text));
        Assert.Equal("u-1", request.Chat.User);
    }

    public static TheoryData<string, string, string?> Refusals() => new()
    {
        { """{"model":"auto","input":""}""", "empty_input", "input" },
        { """{"model":"auto","input":[]}""", "empty_input", "input" },
        { """{"model":"auto","input":["a",""]}""", "empty_input", "input[1]" },
        { """{"model":"auto","input":[1,2,3]}""", "unsupported_input", "input" },
        { """{"model":"auto","input":[[1,2]]}""", "unsupported_input", "input" },
        { """{"model":"auto"}""", "missing_input", "input" },
        { """{"input":"a"}""", "invalid_model", "model" },
        { """{"model":"auto","input":"a","encoding_format":"int8"}""", "invalid_encoding_format", "encoding_format" },
        { """{"model":"auto","input":"a","dimensions":0}""", "invalid_dimensions", "dimensions" },
        { """{"model":"auto","input":"a""", "invalid_json", null },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void A_request_that_cannot_be_embedded_is_refused_with_the_field_to_fix(string json, string code, string? param)
    {
        var refused = Assert.Throws<ChatRequestException>(() => Parse(json));

        Assert.Equal((code, param), (refused.Code, refused.Param));
    }

    [Fact]
    public void More_inputs_than_openai_allows_are_refused()
    {
        var json = """{"model":"auto","input":[""" + string.Join(",", Enumerable.Repeat("\"a\"", EmbeddingsRequest.MaxInputs + 1)) + "]}";

        var refused = Assert.Throws<ChatRequestException>(() => Parse(json));

        Assert.Equal("too_many_inputs", refused.Code);
        Assert.Contains("2,048", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Base64_vectors_are_the_little_endian_floats_the_sdks_decode()
    {
        float[][] vectors = [[0.5f, -0.25f], [1f, 0f]];

        using var json = System.Text.Json.JsonDocument.Parse(EmbeddingsResponse.Write(vectors, EmbeddingEncoding.Base64, "embed-small", 7));
        var decoded = json.RootElement.GetProperty("data").EnumerateArray()
            .Select(d => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(Convert.FromBase64String(d.GetProperty("embedding").GetString()!)).ToArray())
            .ToArray();

        Assert.Equal(vectors, decoded);
        Assert.Equal((7, 7), (json.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32(), json.RootElement.GetProperty("usage").GetProperty("total_tokens").GetInt32()));
        Assert.Equal("embed-small", json.RootElement.GetProperty("model").GetString());
    }
}
