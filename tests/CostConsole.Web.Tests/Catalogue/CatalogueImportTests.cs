using System.Text;
using CostConsole.Data.Catalogue.Import;
using CostConsole.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Tests.Catalogue;

public sealed class CatalogueImportTests : IAsyncLifetime
{
    private static readonly DateTimeOffset FirstImport = new(2026, 8, 3, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset SecondImport = FirstImport.AddDays(7);

    private readonly CatalogueImporter _importer = new(TimeProvider.System);
    private ImportDatabase _database = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _database = await ImportDatabase.CreateAsync(Ct);

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    [Fact]
    public async Task Importing_openai_chat_models_adds_each_priced_one_enabled_with_its_price_from_the_effective_moment()
    {
        var map = await ShippedAsync();
        var openAiChat = map.Entries.Where(e => e.Provider == "openai" && e.Mode == "chat").ToList();
        var priced = openAiChat.Count(e => e.IsPriced);

        var preview = await PreviewAsync(map, OpenAiChat(FirstImport));

        Assert.Equal(openAiChat.Select(e => e.Key), preview.Lines.Select(l => l.Key));
        Assert.Equal(priced, preview.CountOf(ImportStatus.New));
        Assert.Equal(0, (await _database.CountAsync(Ct)).Models);

        var result = await ApplyAsync(preview);

        Assert.Equal(new ImportResult(priced, 0, 0, openAiChat.Count - priced), result);
        Assert.Equal(new RowCounts(2, openAiChat.Count, priced), await _database.CountAsync(Ct));
        var nano = (await _database.FindModelAsync("openai", "gpt-4.1-nano", Ct))!;
        Assert.Equal(("gpt-4.1-nano", "small", 1_047_576L, true), (nano.DisplayName, nano.Tier, nano.ContextWindow, nano.Enabled));
        var price = Assert.Single(nano.Prices);
        Assert.Equal((FirstImport, 0.1m, 0.025m, 0.4m), (price.EffectiveFrom, price.InputPerMillion, price.CachedInputPerMillion, price.OutputPerMillion));
        Assert.Equal(("ops@example.com", CatalogueImporter.PriceNote), (price.Author, price.Note));
        Assert.Equal("medium", (await _database.FindModelAsync("openai", "gpt-5", Ct))!.Tier);
        Assert.Equal("large", (await _database.FindModelAsync("openai", "o1", Ct))!.Tier);
    }

    [Fact]
    public async Task Importing_the_same_map_again_shows_every_priced_model_unchanged_and_writes_nothing()
    {
        var map = await ShippedAsync();
        await ApplyAsync(await PreviewAsync(map, OpenAiChat(FirstImport)));
        var before = await _database.CountAsync(Ct);

        var again = await PreviewAsync(map, OpenAiChat(SecondImport));
        var result = await ApplyAsync(again);

        var priced = again.Lines.Count(l => l.Entry.IsPriced);
        Assert.Equal(priced, again.CountOf(ImportStatus.Unchanged));
        Assert.DoesNotContain(again.Lines, l => l.AddsModel || l.Status is ImportStatus.New or ImportStatus.PriceChanged);
        Assert.Equal(new ImportResult(0, 0, priced, again.Lines.Count - priced), result);
        Assert.Equal(before, await _database.CountAsync(Ct));
    }

    [Fact]
    public async Task A_changed_price_shows_old_and_new_and_applying_adds_a_version_that_keeps_the_old_one()
    {
        var map = await ShippedAsync();
        await ApplyAsync(await PreviewAsync(map, OpenAiChat(FirstImport)));
        var cheaper = new PriceMap(map.Entries.Select(e => e.Key == "gpt-4.1-nano" ? e with { InputPerMillion = 0.08m, OutputPerMillion = 0.32m } : e));

        var preview = await PreviewAsync(cheaper, OpenAiChat(SecondImport));

        var line = Assert.Single(preview.Lines, l => l.Status == ImportStatus.PriceChanged);
        Assert.Equal("gpt-4.1-nano", line.Key);
        Assert.Equal(new ImportPrice(0.1m, 0.025m, 0.4m), line.OldPrice);
        Assert.Equal(new ImportPrice(0.08m, 0.025m, 0.32m), line.NewPrice);

        var result = await ApplyAsync(preview);

        Assert.Equal(1, result.Repriced);
        var nano = (await _database.FindModelAsync("openai", "gpt-4.1-nano", Ct))!;
        Assert.Equal(
            [(FirstImport, 0.1m, 0.4m), (SecondImport, 0.08m, 0.32m)],
            nano.Prices.OrderBy(p => p.EffectiveFrom).Select(p => (p.EffectiveFrom, p.InputPerMillion, p.OutputPerMillion)));
    }

    [Fact]
    public async Task Repricing_at_the_exact_moment_of_an_existing_version_corrects_that_version()
    {
        await ApplyAsync(await PreviewAsync(await MapOfAsync(Entry("gpt-4o-mini", "1.5e-07", "6e-07")), OpenAiChat(FirstImport)));

        var preview = await PreviewAsync(await MapOfAsync(Entry("gpt-4o-mini", "1.6e-07", "6.4e-07")), OpenAiChat(FirstImport));
        var result = await ApplyAsync(preview);

        Assert.Equal(1, result.Repriced);
        var price = Assert.Single((await _database.FindModelAsync("openai", "gpt-4o-mini", Ct))!.Prices);
        Assert.Equal((FirstImport, 0.16m, 0.64m), (price.EffectiveFrom, price.InputPerMillion, price.OutputPerMillion));
    }

    [Fact]
    public async Task An_embedding_entry_becomes_an_embeddings_model_priced_per_input_token()
    {
        var map = await MapOfAsync(
            Entry("gpt-4o-mini", "1.5e-07", "6e-07"),
            """ "text-embedding-3-small": { "litellm_provider": "openai", "mode": "embedding", "input_cost_per_token": 2e-08, "output_cost_per_token": 0.0 } """);

        await ApplyAsync(await PreviewAsync(map, OpenAiChat(FirstImport) with { Modes = ["chat", "embedding"] }));

        var embeddings = (await _database.FindModelAsync("openai", "text-embedding-3-small", Ct))!;
        Assert.Equal(((int)CostConsole.Routing.Catalogue.ModelKind.Embedding, true), (embeddings.Kind, embeddings.Enabled));
        Assert.Equal((0.02m, 0m), (Assert.Single(embeddings.Prices).InputPerMillion, embeddings.Prices[0].OutputPerMillion));
        Assert.Equal((int)CostConsole.Routing.Catalogue.ModelKind.Chat, (await _database.FindModelAsync("openai", "gpt-4o-mini", Ct))!.Kind);
    }

    [Fact]
    public async Task Entries_without_an_input_or_output_price_become_disabled_models_with_no_price()
    {
        var map = await MapOfAsync(
            Entry("priced", "1e-07", "4e-07"),
            """ "input-only": { "litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1e-07 } """,
            """ "no-prices": { "litellm_provider": "openai", "mode": "chat", "max_input_tokens": 8192 } """);

        var preview = await PreviewAsync(map, OpenAiChat(FirstImport));
        var result = await ApplyAsync(preview);

        Assert.Equal([ImportStatus.New, ImportStatus.Unpriced, ImportStatus.Unpriced], preview.Lines.Select(l => l.Status));
        Assert.Equal(new ImportResult(1, 0, 0, 2), result);
        Assert.True((await _database.FindModelAsync("openai", "priced", Ct))!.Enabled);
        foreach (var key in new[] { "input-only", "no-prices" })
        {
            var model = (await _database.FindModelAsync("openai", key, Ct))!;
            Assert.False(model.Enabled);
            Assert.Empty(model.Prices);
        }
    }

    [Fact]
    public async Task An_existing_model_the_map_cannot_price_keeps_its_price_and_stays_enabled()
    {
        await using (var db = _database.Open())
        {
            db.Models.Add(new ModelEntity
            {
                ProviderId = (await db.Providers.SingleAsync(p => p.Name == "openai", Ct)).Id,
                ModelId = "gpt-4o",
                DisplayName = "GPT-4o",
                Tier = "medium",
                Prices = [new ModelPriceEntity { EffectiveFrom = FirstImport, InputPerMillion = 2.5m, OutputPerMillion = 10m }],
            });
            await db.SaveChangesAsync(Ct);
        }

        var preview = await PreviewAsync(await MapOfAsync(""" "gpt-4o": { "litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 2.5e-06 } """), OpenAiChat(SecondImport));
        await ApplyAsync(preview);

        var line = Assert.Single(preview.Lines);
        Assert.Equal((ImportStatus.Unpriced, false, new ImportPrice(2.5m, null, 10m)), (line.Status, line.AddsModel, line.OldPrice));
        var model = (await _database.FindModelAsync("openai", "gpt-4o", Ct))!;
        Assert.True(model.Enabled);
        Assert.Equal(2.5m, Assert.Single(model.Prices).InputPerMillion);
    }

    [Fact]
    public async Task New_models_go_in_the_first_middle_or_last_tier_by_input_price()
    {
        var map = await MapOfAsync(
            Entry("just-under-half-a-dollar", "4.9e-07", "1e-06"),
            Entry("half-a-dollar", "5e-07", "1e-06"),
            Entry("just-under-three-dollars", "2.99e-06", "1e-05"),
            Entry("three-dollars", "3e-06", "1e-05"),
            """ "unknown-price": { "litellm_provider": "openai", "mode": "chat" } """);

        var preview = await PreviewAsync(map, OpenAiChat(FirstImport));

        Assert.Equal(["small", "medium", "medium", "large", "large"], preview.Lines.Select(l => l.NewModelTier));
    }

    [Fact]
    public async Task Only_entries_of_the_chosen_providers_and_modes_are_previewed()
    {
        var map = await MapOfAsync(
            Entry("gpt-4o", "2.5e-06", "1e-05"),
            """ "text-embedding-3-small": { "litellm_provider": "openai", "mode": "embedding", "input_cost_per_token": 2e-08, "output_cost_per_token": 0 } """,
            """ "claude-haiku-4-5": { "litellm_provider": "anthropic", "mode": "chat", "input_cost_per_token": 1e-06, "output_cost_per_token": 5e-06 } """,
            """ "fireworks-ai-up-to-4b": { "litellm_provider": "fireworks_ai", "input_cost_per_token": 2e-07, "output_cost_per_token": 2e-07 } """);

        var openAiChat = await PreviewAsync(map, OpenAiChat(FirstImport));
        var everything = await PreviewAsync(map, new ImportOptions { TargetProvider = "litellm-proxy", Modes = [] });
        var anthropic = await PreviewAsync(map, new ImportOptions { TargetProvider = "litellm-proxy", Providers = ["Anthropic"], Modes = ["chat", "embedding"] });

        Assert.Equal(["gpt-4o"], openAiChat.Lines.Select(l => l.Key));
        Assert.Equal(map.Entries.Select(e => e.Key), everything.Lines.Select(l => l.Key));
        Assert.Equal(["claude-haiku-4-5"], anthropic.Lines.Select(l => l.Key));
    }

    [Fact]
    public async Task A_provider_that_does_not_exist_is_refused_with_the_ones_to_choose_from_and_nothing_is_written()
    {
        var before = await _database.CountAsync(Ct);
        var map = await ShippedAsync();

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => PreviewAsync(map, OpenAiChat(FirstImport) with { TargetProvider = "azure" }));

        Assert.StartsWith("There is no provider named 'azure'. Choose one of: litellm-proxy, openai.", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, await _database.CountAsync(Ct));
    }

    [Fact]
    public async Task A_failure_in_the_middle_of_apply_leaves_the_database_as_it_was()
    {
        await ApplyAsync(await PreviewAsync(await MapOfAsync(Entry("a", "1e-06", "2e-06"), Entry("b", "1e-06", "2e-06")), OpenAiChat(FirstImport)));
        var preview = await PreviewAsync(
            await MapOfAsync(Entry("a", "2e-06", "4e-06"), Entry("b", "1e-06", "2e-06"), Entry("c", "1e-06", "2e-06"), Entry("d", "1e-06", "2e-06")),
            OpenAiChat(SecondImport));
        var before = await _database.CountAsync(Ct);

        // The database refuses the price of the last new model, after the other rows of the import were sent.
        await _database.ExecuteAsync(
            """
            CREATE TRIGGER refuse_d BEFORE INSERT ON ModelPrices
            WHEN (SELECT ModelId FROM Models WHERE Id = NEW.ModelId) = 'd'
            BEGIN SELECT RAISE(ABORT, 'prices for d are refused'); END;
            """,
            Ct);
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => ApplyAsync(preview));

        Assert.StartsWith("The import was rolled back and nothing was written: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("prices for d are refused", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, await _database.CountAsync(Ct));
        Assert.Null(await _database.FindModelAsync("openai", "c", Ct));
        Assert.Equal(1m, Assert.Single((await _database.FindModelAsync("openai", "a", Ct))!.Prices).InputPerMillion);
    }

    [Fact]
    public async Task A_model_added_by_someone_else_since_the_preview_is_not_overwritten()
    {
        var preview = await PreviewAsync(await MapOfAsync(Entry("gpt-4o", "2.5e-06", "1e-05")), OpenAiChat(FirstImport));
        await using (var db = _database.Open())
        {
            db.Models.Add(new ModelEntity
            {
                ProviderId = (await db.Providers.SingleAsync(p => p.Name == "openai", Ct)).Id,
                ModelId = "gpt-4o",
                DisplayName = "GPT-4o",
                Tier = "large",
                Prices = [new ModelPriceEntity { EffectiveFrom = FirstImport, InputPerMillion = 5m, OutputPerMillion = 15m }],
            });
            await db.SaveChangesAsync(Ct);
        }

        var before = await _database.CountAsync(Ct);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => ApplyAsync(preview));

        Assert.Contains("changed since the preview", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, await _database.CountAsync(Ct));
        Assert.Equal(5m, Assert.Single((await _database.FindModelAsync("openai", "gpt-4o", Ct))!.Prices).InputPerMillion);
    }

    [Theory]
    [InlineData("{ \"gpt-4o\": { \"litellm_provider\": \"openai\", ", "The file is not valid JSON: line 1, position")]
    [InlineData("[ { \"litellm_provider\": \"openai\" } ]", "The file is a JSON array; a LiteLLM price map is one object keyed by model id.")]
    [InlineData("{ \"sample_spec\": { \"input_cost_per_token\": \"cost per token\" } }", "None of the file's 1 top-level keys is a model entry")]
    public async Task A_file_that_is_not_a_price_map_is_refused_with_a_reason_and_nothing_is_written(string body, string reason)
    {
        var before = await _database.CountAsync(Ct);

        var ex = await Assert.ThrowsAsync<PriceMapFormatException>(async () =>
        {
            var map = await ParseAsync(body);
            await ApplyAsync(await PreviewAsync(map, OpenAiChat(FirstImport)));
        });

        Assert.StartsWith(reason, ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, await _database.CountAsync(Ct));
    }

    private static ImportOptions OpenAiChat(DateTimeOffset effectiveFrom) =>
        new() { TargetProvider = "openai", Providers = ["openai"], EffectiveFrom = effectiveFrom, Author = "ops@example.com" };

    private static string Entry(string key, string inputPerToken, string outputPerToken) =>
        $$""" "{{key}}": { "litellm_provider": "openai", "mode": "chat", "input_cost_per_token": {{inputPerToken}}, "output_cost_per_token": {{outputPerToken}} } """;

    private static async Task<PriceMap> ShippedAsync()
    {
        await using var stream = LiteLlmPriceMap.OpenShipped();
        return await LiteLlmPriceMap.ParseAsync(stream, Ct);
    }

    /// <summary>A price map of the given entries, each written as <c>"key": { … }</c>.</summary>
    private static Task<PriceMap> MapOfAsync(params string[] entries) => ParseAsync("{" + string.Join(",", entries) + "}");

    private static Task<PriceMap> ParseAsync(string body) =>
        LiteLlmPriceMap.ParseAsync(new MemoryStream(Encoding.UTF8.GetBytes(body)), Ct);

    private async Task<ImportPreview> PreviewAsync(PriceMap map, ImportOptions options)
    {
        await using var db = _database.Open();
        return await _importer.PreviewAsync(db, map, options, Ct);
    }

    private async Task<ImportResult> ApplyAsync(ImportPreview preview)
    {
        await using var db = _database.Open();
        return await _importer.ApplyAsync(db, preview, Ct);
    }
}
