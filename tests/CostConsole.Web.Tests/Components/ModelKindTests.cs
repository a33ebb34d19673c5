using Bunit;
using CostConsole.Routing.Catalogue;
using CostConsole.Web.Catalogue;
using CostConsole.Web.Components.Catalogue;
using MudBlazor;

namespace CostConsole.Web.Tests.Components;

/// <summary>Changing a catalogue model between chat and embeddings in the model dialog, and what the routing allows.</summary>
public sealed class ModelKindTests : ConsoleTestContext
{
    private static ModelForm FormOf(ModelView model) => new()
    {
        Id = model.Id,
        Provider = model.Provider,
        ModelId = model.ModelId,
        DisplayName = model.DisplayName,
        Tier = model.Tier,
        Enabled = model.Enabled,
        Kind = model.Kind,
        ConcurrencyStamp = model.ConcurrencyStamp,
    };

    private async Task<IRenderedComponent<MudDialogProvider>> OpenAsync(ModelForm form) =>
        await OpenDialogAsync(new DialogParameters<ModelDialog> { { d => d.Form, form }, { d => d.Providers, ["simulator"] }, { d => d.Tiers, ["small", "medium", "large"] } });

    private static async Task ChooseKindAsync(IRenderedComponent<MudDialogProvider> dialog, ModelKind kind)
    {
        var select = dialog.FindComponents<MudSelect<ModelKind>>().Single(s => s.Instance.UserAttributes.TryGetValue("data-testid", out var id) && (string?)id == "model-kind");
        await dialog.InvokeAsync(() => select.Instance.SelectOption(kind));
    }

    [Fact]
    public async Task A_chat_model_no_route_uses_becomes_an_embeddings_model_and_serves_embeddings_at_once()
    {
        var added = await Database.Service.SaveModelAsync(
            new ModelForm { Provider = "simulator", ModelId = "text-embedding-3-small", DisplayName = "text-embedding-3-small", Tier = "small", InitialPrice = new PriceForm { InputPerMillion = 0.02m, OutputPerMillion = 0m } }, "alice");
        Assert.True(added.Saved, added.Summary);
        Assert.Equal(ModelKind.Chat, (await Database.ModelAsync("text-embedding-3-small")).Kind);
        var dialog = await OpenAsync(FormOf(await Database.ModelAsync("text-embedding-3-small")));

        await ChooseKindAsync(dialog, ModelKind.Embedding);
        dialog.WaitForAssertion(() => Assert.Contains("Serves /v1/embeddings", dialog.Markup, StringComparison.Ordinal));
        await dialog.Find("[data-testid=model-save]").ClickAsync(new());

        dialog.WaitForAssertion(() => Assert.Equal(ModelKind.Embedding, Database.Routing.Current.FindModel("text-embedding-3-small")!.Model.Kind));
        Assert.Equal(ModelKind.Embedding, (await Database.ModelAsync("text-embedding-3-small")).Kind);
        Assert.Equal("text-embedding-3-small", Database.Routing.Current.Embeddings.Auto!.Model.Id);
    }

    [Fact]
    public async Task A_model_a_tier_answers_chat_with_cannot_become_an_embeddings_model_and_the_dialog_says_which_tier()
    {
        var dialog = await OpenAsync(FormOf(await Database.ModelAsync("gpt-4.1-nano")));

        await ChooseKindAsync(dialog, ModelKind.Embedding);
        await dialog.Find("[data-testid=model-save]").ClickAsync(new());

        dialog.WaitForAssertion(() =>
        {
            var error = dialog.Find("[data-testid=save-error]").TextContent;
            Assert.Contains("simulator/gpt-4.1-nano is used by the routing as a chat model, so it cannot become an embeddings model", error, StringComparison.Ordinal);
            Assert.Contains("tier 'small' names simulator/gpt-4.1-nano", error, StringComparison.Ordinal);
            Assert.Contains("nothing was saved", error, StringComparison.Ordinal);
        });
        Assert.Equal(ModelKind.Chat, (await Database.ModelAsync("gpt-4.1-nano")).Kind);
        Assert.Equal(ModelKind.Chat, Database.Routing.Current.FindModel("gpt-4.1-nano")!.Model.Kind);
    }
}
