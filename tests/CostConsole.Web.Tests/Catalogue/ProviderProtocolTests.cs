using CostConsole.Routing.Catalogue;
using CostConsole.Web.Catalogue;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Tests.Catalogue;

/// <summary>Which API a provider speaks, as the provider dialog saves it.</summary>
public sealed class ProviderProtocolTests : IAsyncLifetime
{
    private CatalogueDatabase _db = null!;

    public async ValueTask InitializeAsync() => _db = await CatalogueDatabase.CreateAsync();

    public ValueTask DisposeAsync() => _db.DisposeAsync();

    [Fact]
    public async Task A_provider_saved_as_anthropic_is_listed_as_speaking_anthropic_and_can_be_switched_back()
    {
        var created = await _db.Service.SaveProviderAsync(new ProviderForm { Name = "claude", BaseUrl = "https://api.anthropic.com", NewApiKey = "sk-ant-x", Protocol = "Anthropic" });
        var view = (await _db.Service.ProvidersAsync()).Single(p => p.Name == "claude");

        Assert.True(created.Saved);
        Assert.Equal(ProviderProtocols.Anthropic, view.Protocol);

        var edited = await _db.Service.SaveProviderAsync(new ProviderForm { Id = view.Id, Name = "claude", BaseUrl = "https://api.anthropic.com", Protocol = "chat", ConcurrencyStamp = view.ConcurrencyStamp });

        Assert.True(edited.Saved);
        Assert.Equal(ProviderProtocols.Chat, (await _db.Service.ProvidersAsync()).Single(p => p.Name == "claude").Protocol);
    }

    [Fact]
    public async Task An_unknown_protocol_is_refused_with_the_choices_and_nothing_is_saved()
    {
        var result = await _db.Service.SaveProviderAsync(new ProviderForm { Name = "gemini", BaseUrl = "https://example.test/v1", Protocol = "gemini" });

        Assert.False(result.Saved);
        Assert.Equal("Choose the API the provider speaks: chat, anthropic.", result.Errors[nameof(ProviderForm.Protocol)].Single());
        Assert.False(await _db.QueryAsync(db => db.Providers.AnyAsync(p => p.Name == "gemini")));
    }

    [Fact]
    public void A_new_provider_speaks_chat_completions_unless_told_otherwise()
    {
        Assert.Equal(ProviderProtocols.Chat, new ProviderForm().Protocol);
        Assert.True(ProviderProtocols.TryParse(null, out var protocol));
        Assert.Equal(ProviderProtocol.Chat, protocol);
    }
}
