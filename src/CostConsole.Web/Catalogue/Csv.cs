using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;

namespace CostConsole.Web.Catalogue;

/// <summary>
/// RFC 4180 CSV written by CsvHelper: fields quoted where needed, numbers in the invariant culture, and text that a
/// spreadsheet would run as a formula (a leading =, +, - or @) kept as text with a leading quote mark.
/// </summary>
internal static class Csv
{
    private static readonly CsvConfiguration Options = new(CultureInfo.InvariantCulture) { InjectionOptions = InjectionOptions.Escape };

    public static async Task WriteAsync(TextWriter writer, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<object?>> rows)
    {
        await using var csv = new CsvWriter(writer, Options, leaveOpen: true);
        foreach (var name in header)
        {
            csv.WriteField(name);
        }

        await csv.NextRecordAsync();
        foreach (var row in rows)
        {
            foreach (var value in row)
            {
                csv.WriteField(value is IFormattable formattable ? formattable.ToString(null, CultureInfo.InvariantCulture) : value?.ToString());
            }

            await csv.NextRecordAsync();
        }

        await csv.FlushAsync();
    }
}
