using System.Text.Json;

namespace CostConsole.Data.Catalogue;

/// <summary>How rule sets and tier mappings are written to the database.</summary>
public static class RoutingJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web) { WriteIndented = false };
}
