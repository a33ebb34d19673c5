using CostConsole.Routing.Caching;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace CostConsole.Web.Tests.Caching;

/// <summary>The <c>CostConsole:Cache</c> section: what it binds, and a start that refuses settings with problems.</summary>
public sealed class CacheSettingsTests
{
    [Fact]
    public void The_section_binds_the_default_policy_and_the_policies_of_named_rules()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["CostConsole:Cache:Enabled"] = "true",
            ["CostConsole:Cache:MaxEntries"] = "5000",
            ["CostConsole:Cache:Default:Threshold"] = "0.93",
            ["CostConsole:Cache:Default:TimeToLive"] = "02:00:00",
            ["CostConsole:Cache:Default:Scope"] = "Team",
            ["CostConsole:Cache:Rules:faq-and-status:Tiers:0"] = "small",
            ["CostConsole:Cache:Rules:faq-and-status:MaxTurns"] = "3",
            ["CostConsole:Cache:Rules:billing:Enabled"] = "false",
        }).Build();

        var settings = configuration.GetSection("CostConsole:Cache").Get<CacheSettings>()!;

        Assert.True(settings.Enabled);
        Assert.Equal(5000, settings.MaxEntries);
        Assert.Equal((0.93, TimeSpan.FromHours(2), CacheScope.Team), (settings.Default.Threshold, settings.Default.TimeToLive, settings.Default.Scope));
        Assert.Equal(["small"], settings.For("faq-and-status").Tiers);
        Assert.Equal(3, settings.For("faq-and-status").MaxTurns);
        Assert.False(settings.For("billing").Enabled);
        Assert.Same(settings.Default, settings.For("another rule"));
    }

    [Fact]
    public void A_threshold_out_of_range_stops_the_start_and_says_which_setting()
    {
        using var factory = new BadSettingsFactory();

        var error = Assert.ThrowsAny<Exception>(() => factory.Services);

        Assert.Contains("CostConsole:Cache has problems: the default cache policy: the similarity threshold must be above 0 and at most 1 (it is 1.5).", error.ToString(), StringComparison.Ordinal);
    }

    private sealed class BadSettingsFactory() : CostConsoleFactory(new Dictionary<string, string?> { ["CostConsole:Cache:Default:Threshold"] = "1.5" });
}
