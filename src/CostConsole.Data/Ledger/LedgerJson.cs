using System.Text.Json;
using System.Text.Json.Serialization;
using CostConsole.Routing.Pipeline;

namespace CostConsole.Data.Ledger;

/// <summary>
/// A ledger row's attempts as JSON, written by code generated at build time rather than by reflection: every row
/// carries them, so this runs once per request on the ledger's writer. The same Web defaults as before, the same text.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(IReadOnlyList<AttemptRecord>))]
internal sealed partial class LedgerJson : JsonSerializerContext;
