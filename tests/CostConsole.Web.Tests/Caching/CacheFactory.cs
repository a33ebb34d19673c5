using CostConsole.Web.Tests.Infrastructure;

namespace CostConsole.Web.Tests.Caching;

/// <summary>The app with the response cache turned on, as <c>CostConsole__Cache__Enabled=true</c> does.</summary>
public sealed class CacheFactory() : CostConsoleFactory(new Dictionary<string, string?> { ["CostConsole:Cache:Enabled"] = "true" });
