using Bunit;
using CostConsole.Routing.Caching;
using CostConsole.Routing.Embeddings;
using CostConsole.Web.Caching;
using CostConsole.Web.Components.ResponseCache;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace CostConsole.Web.Tests.Components;

/// <summary>The Cache page's policy editor and the threshold check's choice of a threshold from the curve.</summary>
public sealed class CachePolicyEditorTests : ConsoleTestContext
{
    private ResponseCache _cache = null!;
    private CachePolicies _policies = null!;

    private void AddCache()
    {
        _cache = new ResponseCache(new CacheEntryStore(Database.Factory), TimeProvider.System, new SameVectorEmbedder());
        _cache.Apply(new CacheSettings { Enabled = true, Rules = new Dictionary<string, CachePolicy> { ["analysis"] = new() { Enabled = false } } });
        _policies = new CachePolicies(_cache, Database.Factory, TimeProvider.System, Database.Routing);
        Services.AddSingleton(_cache);
        Services.AddSingleton(_policies);
        Services.AddSingleton<IEmbedder>(new SameVectorEmbedder());
        Render<MudPopoverProvider>();
    }

    private IRenderedComponent<CachePolicyEditor> RenderEditor()
    {
        AddCache();
        return Render<CachePolicyEditor>();
    }

    private static AngleSharp.Dom.IElement Field<T>(IRenderedComponent<T> cut, string id)
        where T : Microsoft.AspNetCore.Components.IComponent =>
        cut.Find($"input[data-testid='{id}'], [data-testid='{id}'] input");

    [Fact]
    public void The_list_shows_the_default_policy_and_each_rule_policy_in_words()
    {
        var cut = RenderEditor();

        Assert.Equal("exact and semantic (similarity ≥ 0.9), kept 1 day(s), namespace per key, up to 1 turn(s), temperature ≤ 1, tiers all.", cut.Find("[data-testid='cache-policy-default']").TextContent);
        Assert.Equal("off", cut.Find("[data-testid='cache-policy-analysis']").TextContent);
        Assert.Contains("From the configuration", cut.Find("[data-testid='cache-policies-origin']").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Editing_the_default_policy_saves_it_puts_it_in_force_and_says_who_saved_it()
    {
        var cut = RenderEditor();

        cut.Find("[data-testid='cache-policy-edit-default']").Click();
        Field(cut, "policy-threshold").Input("0.95");
        Field(cut, "policy-ttl").Input("2");
        Field(cut, "policy-max-turns").Input("3");
        await cut.InvokeAsync(() => cut.FindComponent<MudSelect<CacheScope>>().Instance.SelectOption(CacheScope.Team));
        cut.Find("[data-testid='cache-policy-save']").Click();

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid='cache-policy-form']")));
        Assert.Equal("exact and semantic (similarity ≥ 0.95), kept 2 h, namespace per team, up to 3 turn(s), temperature ≤ 1, tiers all.", cut.Find("[data-testid='cache-policy-default']").TextContent);
        Assert.Equal((0.95, TimeSpan.FromHours(2), 3, CacheScope.Team), (_cache.Settings.Default.Threshold, _cache.Settings.Default.TimeToLive, _cache.Settings.Default.MaxTurns, _cache.Settings.Default.Scope));
        Assert.Contains("Saved in the console by admin@test.local", cut.Find("[data-testid='cache-policies-origin']").TextContent, StringComparison.Ordinal);
        Assert.False(_cache.Settings.For("analysis").Enabled);
    }

    [Fact]
    public void A_threshold_above_one_is_refused_in_the_form_and_nothing_changes()
    {
        var cut = RenderEditor();

        cut.Find("[data-testid='cache-policy-edit-default']").Click();
        Field(cut, "policy-threshold").Input("1.5");
        cut.Find("[data-testid='cache-policy-save']").Click();

        cut.WaitForAssertion(() => Assert.Equal("The similarity threshold must be above 0 and at most 1, e.g. 0.9 (it is 1.5).", cut.Find("[data-testid='cache-policy-problem']").TextContent));
        Assert.NotEmpty(cut.FindAll("[data-testid='cache-policy-form']"));
        Assert.Equal(0.9, _cache.Settings.Default.Threshold);
        Assert.Contains("similarity ≥ 0.9)", cut.Find("[data-testid='cache-policy-default']").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_edit_over_a_change_saved_meanwhile_is_refused_and_the_list_shows_that_change()
    {
        var cut = RenderEditor();
        cut.Find("[data-testid='cache-policy-edit-default']").Click();
        Field(cut, "policy-threshold").Input("0.8");

        // Someone else saves first, from another tab.
        Assert.True((await _policies.SaveAsync(new CachePolicyForm { Threshold = 0.97 }, _policies.Stamp, "bob@test.local")).Saved);
        cut.Find("[data-testid='cache-policy-save']").Click();

        cut.WaitForAssertion(() => Assert.StartsWith("The cache policies were changed by bob@test.local at ", cut.Find("[data-testid='cache-policy-problem']").TextContent, StringComparison.Ordinal));
        Assert.Equal(0.97, _cache.Settings.Default.Threshold);
        Assert.Contains("similarity ≥ 0.97)", cut.Find("[data-testid='cache-policy-default']").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rule_is_given_its_own_policy_from_the_list_of_rules_and_taken_back_to_the_default()
    {
        var cut = RenderEditor();

        await cut.InvokeAsync(() => cut.FindComponent<MudSelect<string>>().Instance.SelectOption("faq-and-status"));
        cut.Find("[data-testid='cache-policy-add']").Click();
        Field(cut, "policy-threshold").Input("0.92");
        cut.Find("[data-testid='cache-policy-save']").Click();

        cut.WaitForAssertion(() => Assert.Contains("similarity ≥ 0.92)", cut.Find("[data-testid='cache-policy-faq-and-status']").TextContent, StringComparison.Ordinal));
        Assert.Equal(0.92, _cache.Settings.For("faq-and-status").Threshold);

        cut.Find("[data-testid='cache-policy-remove-faq-and-status']").Click();
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid='cache-policy-faq-and-status']")));
        Assert.Same(_cache.Settings.Default, _cache.Settings.For("faq-and-status"));
    }

    [Fact]
    public async Task A_threshold_picked_on_the_curve_becomes_the_chosen_rules_threshold_and_is_marked_in_force()
    {
        AddCache();
        var cut = Render<ThresholdCheckPanel>(p => p.Add(x => x.CanSet, true));
        cut.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText(
            "prompt_a,prompt_b,same_answer\nHow do I reset my password?,How can I reset my password?,true\nHow long does delivery take?,How long does shipping take?,true\n",
            "pairs.csv"));
        cut.WaitForElement("[data-testid='threshold-summary']");
        Assert.Contains("in force", cut.Find("[data-testid='threshold-0.90']").TextContent, StringComparison.Ordinal);

        cut.Find("[data-testid='threshold-target-faq-and-status']").Click();
        Assert.Equal("rule faq-and-status: 0.9 in force; pick a row to use its threshold.", cut.Find("[data-testid='threshold-target-now']").TextContent.Trim());
        cut.Find("[data-testid='use-threshold-0.93']").Click();

        cut.WaitForAssertion(() => Assert.Equal("Rule faq-and-status now serves paraphrases at similarity 0.93 or more.", cut.Find("[data-testid='threshold-chosen']").TextContent));
        Assert.Equal(0.93, _cache.Settings.For("faq-and-status").Threshold);
        Assert.Equal(0.9, _cache.Settings.Default.Threshold);
        Assert.Contains("in force", cut.Find("[data-testid='threshold-0.93']").TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain("in force", cut.Find("[data-testid='threshold-0.90']").TextContent, StringComparison.Ordinal);
        var audit = await Database.QueryAsync(db => db.AuditLog.AsNoTracking().SingleAsync(a => a.Action == "cache.policy"));
        Assert.Equal(("admin@test.local", "cache policy of rule faq-and-status"), (audit.Actor, audit.Subject));

        // A second pick starts from the first one's change: it is not refused as a change made meanwhile.
        cut.Find("[data-testid='use-threshold-0.95']").Click();
        cut.WaitForAssertion(() => Assert.Equal(0.95, _cache.Settings.For("faq-and-status").Threshold));
    }

    /// <summary>Every text the same vector: every pair is as similar as can be, and only the content gate tells them apart.</summary>
    private sealed class SameVectorEmbedder : IEmbedder
    {
        private static readonly float[] Vector = [1f, 0f, 0f];

        public string Name => "same";

        public bool Local => true;

        public ValueTask<float[]> EmbedAsync(string text, CancellationToken cancellationToken) => ValueTask.FromResult(Vector);

        public ValueTask<IReadOnlyList<float[]>> EmbedManyAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken) =>
            ValueTask.FromResult<IReadOnlyList<float[]>>([.. texts.Select(_ => Vector)]);
    }
}
