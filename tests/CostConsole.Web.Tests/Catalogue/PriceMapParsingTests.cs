using System.Globalization;
using System.Text;
using System.Text.Json;
using CostConsole.Data.Catalogue.Import;
using CostConsole.Routing.Catalogue;

namespace CostConsole.Web.Tests.Catalogue;

public sealed class PriceMapParsingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_price_written_as_the_integer_0_is_free_not_unknown()
    {
        var map = await ParseAsync("""{ "local-llama": { "litellm_provider": "ollama", "mode": "chat", "input_cost_per_token": 0, "output_cost_per_token": 0 } }""");

        var entry = Assert.Single(map.Entries);
        Assert.Equal(0m, entry.InputPerMillion);
        Assert.Equal(0m, entry.OutputPerMillion);
        Assert.True(entry.IsPriced);
    }

    [Fact]
    public async Task A_missing_price_is_unknown_not_zero()
    {
        var map = await ParseAsync("""{ "half-priced": { "litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1e-06 } }""");

        var entry = Assert.Single(map.Entries);
        Assert.Equal(1m, entry.InputPerMillion);
        Assert.Null(entry.OutputPerMillion);
        Assert.Null(entry.CachedInputPerMillion);
        Assert.False(entry.IsPriced);
    }

    [Theory]
    [InlineData("1e-07", "0.1")]
    [InlineData("2.5e-08", "0.025")]
    [InlineData("1.5e-05", "15")]
    [InlineData("1.2345678901234567e-06", "1.2345678901234567")]
    public async Task Per_token_prices_become_per_million_prices_exactly_as_written(string perToken, string perMillion)
    {
        var map = await ParseAsync($$"""{ "m": { "litellm_provider": "openai", "input_cost_per_token": {{perToken}}, "output_cost_per_token": {{perToken}}, "cache_read_input_token_cost": {{perToken}} } }""");

        var entry = Assert.Single(map.Entries);
        Assert.Equal(decimal.Parse(perMillion, CultureInfo.InvariantCulture), entry.InputPerMillion);
        Assert.Equal(perMillion, entry.OutputPerMillion!.Value.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(perMillion, entry.CachedInputPerMillion!.Value.ToString(CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_cache_write_price_is_read_per_million_and_is_unknown_when_missing()
    {
        var map = await ParseAsync("""
            {
              "claude": { "litellm_provider": "anthropic", "input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05, "cache_read_input_token_cost": 3e-07, "cache_creation_input_token_cost": 3.75e-06 },
              "gpt": { "litellm_provider": "openai", "input_cost_per_token": 2e-06, "output_cost_per_token": 8e-06, "cache_read_input_token_cost": 5e-07 }
            }
            """);

        Assert.Equal((0.3m, 3.75m), (map.Entries[0].CachedInputPerMillion, map.Entries[0].CacheWritePerMillion));
        Assert.Equal((0.5m, (decimal?)null), (map.Entries[1].CachedInputPerMillion, map.Entries[1].CacheWritePerMillion));
    }

    [Fact]
    public async Task A_context_window_written_as_2000000_point_0_is_two_million_tokens()
    {
        var map = await ParseAsync("""{ "xai/grok-4-fast-reasoning": { "litellm_provider": "xai", "max_input_tokens": 2000000.0, "max_tokens": 2000000.0 } }""");

        Assert.Equal(2_000_000L, Assert.Single(map.Entries).ContextWindow);
    }

    [Fact]
    public async Task The_context_window_is_max_input_tokens_falling_back_to_max_tokens_and_a_fraction_is_unknown()
    {
        var map = await ParseAsync("""
            {
                "both": { "litellm_provider": "openai", "max_input_tokens": 128000, "max_tokens": 16384 },
                "legacy": { "litellm_provider": "openai", "max_tokens": 4096 },
                "fraction": { "litellm_provider": "openai", "max_input_tokens": 1000.5 },
                "none": { "litellm_provider": "openai" }
            }
            """);

        Assert.Equal([128000L, 4096L, null, null], map.Entries.Select(e => e.ContextWindow));
    }

    [Fact]
    public async Task A_string_in_a_numeric_field_makes_only_that_field_unknown()
    {
        var map = await ParseAsync("""
            {
                "odd": {
                    "litellm_provider": "openai",
                    "mode": "chat",
                    "input_cost_per_token": "cheap",
                    "output_cost_per_token": 4e-07,
                    "max_input_tokens": "a lot",
                    "max_tokens": 8192
                },
                "fine": { "litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1e-07, "output_cost_per_token": 4e-07 }
            }
            """);

        Assert.Equal(2, map.Entries.Count);
        var odd = map.Entries[0];
        Assert.Null(odd.InputPerMillion);
        Assert.Equal(0.4m, odd.OutputPerMillion);
        Assert.Equal(8192L, odd.ContextWindow);
        Assert.Equal(0.1m, map.Entries[1].InputPerMillion);
    }

    [Fact]
    public async Task Sample_spec_fallback_generalizations_and_values_that_are_not_objects_are_not_models()
    {
        var map = await ParseAsync("""
            {
                "sample_spec": { "litellm_provider": "one of https://docs.litellm.ai/docs/providers", "input_cost_per_token": 0.0, "max_input_tokens": "max input tokens" },
                "fallback_generalizations": { "rules": [ { "name": "claude", "model_info": { "litellm_provider": "anthropic" } } ] },
                "last_updated": "2026-07-24",
                "a-number": 3,
                "a-list": [ { "litellm_provider": "openai" } ],
                "gpt-4.1-nano": { "litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1e-07, "output_cost_per_token": 4e-07 }
            }
            """);

        Assert.Equal(["gpt-4.1-nano"], map.Entries.Select(e => e.Key));
    }

    [Fact]
    public async Task Capabilities_and_the_deprecation_date_are_read_and_unknown_fields_ignored()
    {
        var map = await ParseAsync("""
            {
                "gpt-4o": {
                    "litellm_provider": "openai",
                    "mode": "chat",
                    "supports_function_calling": true,
                    "supports_vision": true,
                    "supports_response_schema": false,
                    "supports_reasoning": true,
                    "search_context_cost_per_query": { "search_context_size_low": 0.03 },
                    "supported_regions": [ "global" ],
                    "a_field_from_the_future": null,
                    "deprecation_date": "2026-03-31"
                },
                "gpt-3.5-turbo": { "litellm_provider": "openai", "supports_response_schema": true, "deprecation_date": "soon" }
            }
            """);

        Assert.Equal(ModelCapabilities.Tools | ModelCapabilities.Vision, map.Entries[0].Capabilities);
        Assert.Equal(new DateOnly(2026, 3, 31), map.Entries[0].DeprecationDate);
        Assert.Equal(ModelCapabilities.JsonSchema, map.Entries[1].Capabilities);
        Assert.Null(map.Entries[1].DeprecationDate);
    }

    [Fact]
    public async Task A_key_written_twice_keeps_its_last_value_in_its_first_place()
    {
        var map = await ParseAsync("""
            {
                "gpt-4o-mini": { "litellm_provider": "openai", "input_cost_per_token": 1e-07 },
                "gpt-4o": { "litellm_provider": "openai" },
                "gpt-4o-mini": { "litellm_provider": "openai", "input_cost_per_token": 1.5e-07 }
            }
            """);

        Assert.Equal(["gpt-4o-mini", "gpt-4o"], map.Entries.Select(e => e.Key));
        Assert.Equal(0.15m, map.Entries[0].InputPerMillion);
    }

    [Fact]
    public async Task Providers_and_modes_are_offered_with_how_many_entries_have_each()
    {
        var map = await ParseAsync("""
            {
                "gpt-4o": { "litellm_provider": "openai", "mode": "chat" },
                "text-embedding-3-small": { "litellm_provider": "openai", "mode": "embedding" },
                "claude-haiku-4-5": { "litellm_provider": "anthropic", "mode": "chat" },
                "fireworks-ai-up-to-4b": { "litellm_provider": "fireworks_ai" }
            }
            """);

        Assert.Equal([new("anthropic", 1), new("fireworks_ai", 1), new("openai", 2)], map.Providers);
        Assert.Equal([new("chat", 2), new("embedding", 1)], map.Modes);
    }

    [Fact]
    public async Task Text_that_is_not_JSON_is_refused_with_the_line_and_position_of_the_mistake()
    {
        var ex = await Assert.ThrowsAsync<PriceMapFormatException>(() => ParseAsync("{\n    \"gpt-4o\": {\n        \"mode\": ,\n    }\n}"));

        Assert.StartsWith("The file is not valid JSON: line 3, position 17: ", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[ { \"litellm_provider\": \"openai\" } ]", "The file is a JSON array; a LiteLLM price map is one object keyed by model id.")]
    [InlineData("\"gpt-4o\"", "The file is a JSON string; a LiteLLM price map is one object keyed by model id.")]
    [InlineData("{}", "The file is an empty JSON object; a LiteLLM price map has one entry per model.")]
    [InlineData("{ \"sample_spec\": { \"litellm_provider\": \"one of …\", \"input_cost_per_token\": 0.0 } }", "None of the file's 1 top-level keys is a model entry (an object with a \"litellm_provider\"); is this a LiteLLM price map?")]
    public async Task JSON_that_is_not_a_price_map_is_refused_with_what_a_price_map_looks_like(string json, string message)
    {
        var ex = await Assert.ThrowsAsync<PriceMapFormatException>(() => ParseAsync(json));

        Assert.Equal(message, ex.Message);
    }

    [Fact]
    public async Task The_shipped_map_has_every_model_entry_and_every_openai_chat_entry_of_the_file()
    {
        // Counted here straight from the JSON, independently of the parser.
        int models, openAiChat, withBothPrices;
        await using (var stream = LiteLlmPriceMap.OpenShipped())
        {
            using var document = await JsonDocument.ParseAsync(stream, cancellationToken: Ct);
            var entries = document.RootElement.EnumerateObject()
                .Where(p => p.Name is not ("sample_spec" or "fallback_generalizations") && p.Value.ValueKind == JsonValueKind.Object)
                .Select(p => p.Value)
                .ToList();
            models = entries.Count;
            var chat = entries.Where(e => e.TryGetProperty("litellm_provider", out var p) && p.GetString() == "openai" && e.TryGetProperty("mode", out var m) && m.GetString() == "chat").ToList();
            openAiChat = chat.Count;
            withBothPrices = chat.Count(e => e.TryGetProperty("input_cost_per_token", out _) && e.TryGetProperty("output_cost_per_token", out _));
        }

        await using var shipped = LiteLlmPriceMap.OpenShipped();
        var map = await LiteLlmPriceMap.ParseAsync(shipped, Ct);

        Assert.Equal(2_982, models); // the count in Catalogue/PriceMap/model_prices_and_context_window.README.md
        Assert.Equal(models, map.Entries.Count);
        Assert.Equal(models, map.Providers.Sum(p => p.Count));
        var openAi = map.Entries.Where(e => e.Provider == "openai" && e.Mode == "chat").ToList();
        Assert.Equal(openAiChat, openAi.Count);
        Assert.Equal(withBothPrices, openAi.Count(e => e.IsPriced));
    }

    [Fact]
    public async Task The_shipped_map_reads_the_readme_examples_exactly()
    {
        await using var shipped = LiteLlmPriceMap.OpenShipped();
        var map = await LiteLlmPriceMap.ParseAsync(shipped, Ct);

        var nano = map.Entries.Single(e => e.Key == "gpt-4.1-nano");
        Assert.Equal((0.1m, 0.4m, 0.025m), (nano.InputPerMillion, nano.OutputPerMillion, nano.CachedInputPerMillion));
        var sonnet = map.Entries.Single(e => e.Key == "claude-sonnet-4-5");
        Assert.Equal((3m, 15m, 0.3m), (sonnet.InputPerMillion, sonnet.OutputPerMillion, sonnet.CachedInputPerMillion));
        Assert.Equal(2_000_000L, map.Entries.Single(e => e.Key == "xai/grok-4-fast-reasoning").ContextWindow);
    }

    [Fact]
    public void The_shipped_map_comes_with_its_MIT_license()
    {
        Assert.Contains("MIT", LiteLlmPriceMap.ShippedLicense, StringComparison.Ordinal);
        Assert.Contains("Permission is hereby granted", LiteLlmPriceMap.ShippedLicense, StringComparison.Ordinal);
    }

    private static Task<PriceMap> ParseAsync(string json) =>
        LiteLlmPriceMap.ParseAsync(new MemoryStream(Encoding.UTF8.GetBytes(json)), Ct);
}
