using CostConsole.Data.Entities;
using CostConsole.Web.Catalogue;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Tests.Catalogue;

public sealed class CatalogueServiceTests : IAsyncLifetime
{
    private CatalogueDatabase _db = null!;

    public async ValueTask InitializeAsync() => _db = await CatalogueDatabase.CreateAsync();

    public ValueTask DisposeAsync() => _db.DisposeAsync();

    private Task<int> PriceRowsAsync() => _db.QueryAsync(db => db.ModelPrices.CountAsync());

    private static ModelForm Edit(ModelView model) => new()
    {
        Id = model.Id,
        Provider = model.Provider,
        ModelId = model.ModelId,
        DisplayName = model.DisplayName,
        Tier = model.Tier,
        ContextWindow = model.ContextWindow,
        Enabled = model.Enabled,
        ConcurrencyStamp = model.ConcurrencyStamp,
    };

    [Fact]
    public async Task A_negative_price_is_refused_and_nothing_changes()
    {
        var nano = await _db.ModelAsync("gpt-4.1-nano");
        var before = await PriceRowsAsync();

        var result = await _db.Service.AddPriceAsync(new PriceForm { ModelId = nano.Id, InputPerMillion = -0.1m, OutputPerMillion = 0.4m }, "test");

        Assert.False(result.Saved);
        Assert.Equal("A price cannot be negative.", result.Errors[nameof(PriceForm.InputPerMillion)].Single());
        Assert.Equal(before, await PriceRowsAsync());
    }

    [Fact]
    public async Task A_cached_price_above_the_input_price_is_refused()
    {
        var nano = await _db.ModelAsync("gpt-4.1-nano");

        var result = await _db.Service.AddPriceAsync(new PriceForm { ModelId = nano.Id, InputPerMillion = 0.1m, CachedInputPerMillion = 0.2m, OutputPerMillion = 0.4m }, "test");

        Assert.Contains("cannot be above the input price", result.Errors[nameof(PriceForm.CachedInputPerMillion)].Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_price_cannot_take_effect_in_the_past()
    {
        var nano = await _db.ModelAsync("gpt-4.1-nano");

        var result = await _db.Service.AddPriceAsync(new PriceForm { ModelId = nano.Id, InputPerMillion = 0.2m, OutputPerMillion = 0.8m, EffectiveFrom = DateTimeOffset.UtcNow.AddDays(-1) }, "test");

        Assert.False(result.Saved);
        Assert.True(result.Errors.ContainsKey(nameof(PriceForm.EffectiveFrom)));
    }

    [Fact]
    public async Task A_new_price_version_goes_live_and_keeps_the_history()
    {
        var nano = await _db.ModelAsync("gpt-4.1-nano");

        var result = await _db.Service.AddPriceAsync(new PriceForm { ModelId = nano.Id, InputPerMillion = 0.2m, CachedInputPerMillion = 0.05m, OutputPerMillion = 0.8m, Note = "provider change" }, "alice");

        Assert.True(result.Saved);
        var history = await _db.Service.PriceHistoryAsync(nano.Id);
        Assert.Equal(2, history.Count);
        Assert.Equal((0.2m, true, "alice"), (history[0].InputPerMillion, history[0].InForce, history[0].Author));
        Assert.Equal((0.10m, false), (history[1].InputPerMillion, history[1].InForce));
        Assert.Equal(0.2m, _db.Routing.Current.Prices.PriceAt("simulator/gpt-4.1-nano", DateTimeOffset.UtcNow.AddSeconds(1))!.InputPerMillion);
    }

    [Fact]
    public async Task A_scheduled_price_is_not_in_force_until_its_moment()
    {
        var nano = await _db.ModelAsync("gpt-4.1-nano");
        var from = DateTimeOffset.UtcNow.AddDays(3);

        await _db.Service.AddPriceAsync(new PriceForm { ModelId = nano.Id, InputPerMillion = 0.3m, OutputPerMillion = 1.2m, EffectiveFrom = from }, "test");

        var history = await _db.Service.PriceHistoryAsync(nano.Id);
        Assert.True(history[0].Scheduled);
        Assert.Equal(0.10m, (await _db.ModelAsync("gpt-4.1-nano")).InputPerMillion);
        Assert.Equal(0.3m, _db.Routing.Current.Prices.PriceAt("simulator/gpt-4.1-nano", from)!.InputPerMillion);
    }

    [Fact]
    public async Task The_second_of_two_concurrent_edits_gets_a_conflict_not_a_silent_overwrite()
    {
        var loadedByAlice = Edit(await _db.ModelAsync("gpt-4.1-mini"));
        var loadedByBob = Edit(await _db.ModelAsync("gpt-4.1-mini"));

        loadedByAlice.DisplayName = "Mini (Alice)";
        var alice = await _db.Service.SaveModelAsync(loadedByAlice, "alice");
        loadedByBob.DisplayName = "Mini (Bob)";
        var bob = await _db.Service.SaveModelAsync(loadedByBob, "bob");

        Assert.True(alice.Saved);
        Assert.False(bob.Saved);
        Assert.Contains("Someone else changed this model", bob.Conflict, StringComparison.Ordinal);
        Assert.Equal("Mini (Alice)", (await _db.ModelAsync("gpt-4.1-mini")).DisplayName);
    }

    [Fact]
    public async Task A_model_id_already_served_by_the_provider_is_refused()
    {
        var result = await _db.Service.SaveModelAsync(new ModelForm { Provider = "simulator", ModelId = "gpt-4.1", DisplayName = "again", Tier = "large" }, "test");

        Assert.Contains("already has a model 'gpt-4.1'", result.Errors[nameof(ModelForm.ModelId)].Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_tier_or_provider_is_refused()
    {
        var tier = await _db.Service.SaveModelAsync(new ModelForm { Provider = "simulator", ModelId = "x", DisplayName = "x", Tier = "huge" }, "test");
        var provider = await _db.Service.SaveModelAsync(new ModelForm { Provider = "nowhere", ModelId = "x", DisplayName = "x", Tier = "small" }, "test");

        Assert.True(tier.Errors.ContainsKey(nameof(ModelForm.Tier)));
        Assert.True(provider.Errors.ContainsKey(nameof(ModelForm.Provider)));
    }

    [Fact]
    public async Task Disabling_the_only_model_of_a_tier_is_refused_because_routing_would_break()
    {
        var form = Edit(await _db.ModelAsync("gpt-4.1-nano"));
        form.Enabled = false;
        var live = _db.Routing.Current;

        var result = await _db.Service.SaveModelAsync(form, "test");

        Assert.False(result.Saved);
        Assert.Contains("would break routing", result.Summary, StringComparison.Ordinal);
        Assert.True((await _db.ModelAsync("gpt-4.1-nano")).Enabled);
        Assert.Same(live, _db.Routing.Current);
    }

    [Fact]
    public async Task A_provider_needs_an_absolute_http_url()
    {
        var result = await _db.Service.SaveProviderAsync(new ProviderForm { Name = "ollama", BaseUrl = "localhost:11434" });

        Assert.Contains("absolute http(s) URL", result.Errors[nameof(ProviderForm.BaseUrl)].Single(), StringComparison.Ordinal);
        Assert.Equal(1, await _db.QueryAsync(db => db.Providers.CountAsync()));
    }

    [Fact]
    public async Task A_provider_key_is_write_only_stored_protected_and_kept_when_left_empty()
    {
        var created = await _db.Service.SaveProviderAsync(new ProviderForm { Name = "openai", BaseUrl = "https://api.openai.com/v1", NewApiKey = "sk-live-secret" });
        var stored = await _db.QueryAsync(db => db.Providers.SingleAsync(p => p.Name == "openai"));
        var view = (await _db.Service.ProvidersAsync()).Single(p => p.Name == "openai");

        var edited = await _db.Service.SaveProviderAsync(new ProviderForm { Id = view.Id, Name = "openai", BaseUrl = "https://api.openai.com/v1", TimeoutSeconds = 30, ConcurrencyStamp = view.ConcurrencyStamp });
        var afterEdit = await _db.QueryAsync(db => db.Providers.SingleAsync(p => p.Name == "openai"));

        Assert.True(created.Saved && edited.Saved);
        Assert.True(view.HasApiKey);
        Assert.DoesNotContain("sk-live-secret", stored.ProtectedApiKey, StringComparison.Ordinal);
        Assert.Equal("sk-live-secret", _db.Protector.Unprotect(afterEdit.ProtectedApiKey!));
        Assert.Equal(30, afterEdit.TimeoutSeconds);
    }

    [Fact]
    public async Task Retries_and_the_circuit_cool_down_are_saved_and_reach_the_router_and_bad_values_change_nothing()
    {
        var view = (await _db.Service.ProvidersAsync()).Single();
        ProviderForm Form(int retries, double coolDown) =>
            new() { Id = view.Id, Name = view.Name, BaseUrl = view.BaseUrl, TimeoutSeconds = view.TimeoutSeconds, MaxRetries = retries, CircuitBreakSeconds = coolDown, ConcurrencyStamp = view.ConcurrencyStamp };

        var refused = await _db.Service.SaveProviderAsync(Form(9, 0));
        var unchanged = await _db.QueryAsync(db => db.Providers.SingleAsync());
        Assert.Equal((2, 30.0), (unchanged.MaxRetries, unchanged.CircuitBreakSeconds));
        var saved = await _db.Service.SaveProviderAsync(Form(0, 120));
        var stored = await _db.QueryAsync(db => db.Providers.SingleAsync());
        var config = await _db.QueryAsync(db => CostConsole.Data.Catalogue.RoutingConfigLoader.LoadAsync(db, new CostConsole.Data.Catalogue.CostConsoleOptions(), _db.Protector, default));

        Assert.False(refused.Saved);
        Assert.Contains("Retries must be between 0", refused.Summary, StringComparison.Ordinal);
        Assert.Contains("cool-down must be between 1 second and 1 hour", refused.Summary, StringComparison.Ordinal);
        Assert.True(saved.Saved, saved.Summary);
        Assert.Equal((0, 120.0), (stored.MaxRetries, stored.CircuitBreakSeconds));
        Assert.Equal((0, TimeSpan.FromMinutes(2)), (config.Providers.Single().Resilience.MaxRetries, config.Providers.Single().Resilience.BreakDuration));
    }

    [Fact]
    public async Task A_provider_that_still_serves_models_cannot_be_deleted()
    {
        var simulator = (await _db.Service.ProvidersAsync()).Single();

        var result = await _db.Service.DeleteProviderAsync(simulator.Id, simulator.ConcurrencyStamp);

        Assert.False(result.Saved);
        Assert.Contains("still serves 3 model(s)", result.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_new_model_with_its_first_price_is_routable_at_once()
    {
        var result = await _db.Service.SaveModelAsync(
            new ModelForm { Provider = "simulator", ModelId = "gpt-4o-mini", DisplayName = "GPT-4o mini", Tier = "small", InitialPrice = new PriceForm { InputPerMillion = 0.15m, OutputPerMillion = 0.6m } },
            "test");

        Assert.True(result.Saved);
        Assert.NotNull(_db.Routing.Current.FindModel("gpt-4o-mini"));
        Assert.Equal(0.15m, (await _db.ModelAsync("gpt-4o-mini")).InputPerMillion);
    }

    [Fact]
    public async Task The_csv_export_has_a_header_and_a_row_per_model_with_awkward_text_quoted()
    {
        var form = Edit(await _db.ModelAsync("gpt-4.1"));
        form.DisplayName = "GPT-4.1, \"flagship\"";
        await _db.Service.SaveModelAsync(form, "test");

        using var output = new MemoryStream();
        await _db.Service.WriteCsvAsync(output, TestContext.Current.CancellationToken);
        var lines = System.Text.Encoding.UTF8.GetString(output.ToArray()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);

        Assert.StartsWith("provider,model_id,display_name,tier", lines[0], StringComparison.Ordinal);
        Assert.Equal(4, lines.Length);
        Assert.Contains("simulator,gpt-4.1,\"GPT-4.1, \"\"flagship\"\"\",large", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_provider_can_serve_a_model_id_the_default_mapping_already_uses()
    {
        await _db.Service.SaveProviderAsync(new ProviderForm { Name = "openai", BaseUrl = "https://api.openai.com/v1" });

        var result = await _db.Service.SaveModelAsync(
            new ModelForm { Provider = "openai", ModelId = "gpt-4.1-nano", DisplayName = "GPT-4.1 nano", Tier = "small", InitialPrice = new PriceForm { InputPerMillion = 0.1m, OutputPerMillion = 0.4m } },
            "test");

        Assert.True(result.Saved, result.Summary);
        Assert.Equal("simulator/gpt-4.1-nano", _db.Routing.Current.CandidatesFor("small")[0].Key);
        Assert.NotNull(_db.Routing.Current.FindModel("openai/gpt-4.1-nano"));
    }
}
