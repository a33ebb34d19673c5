using CsvHelper;

namespace CostConsole.Web.Catalogue;

/// <summary>
/// RFC 4180 CSV written by CsvHelper: fields quoted where needed, numbers in the invariant culture, and text that a
/// spreadsheet would run as a formula (a leading =, +, - or @) kept as text with a leading quote mark.
/// </summary>
internal static class Csv
{
    private static readonly CsvWriterOptions Options = new() { Injection = CsvInjection.Escape };

    public static async Task WriteAsync(TextWriter writer, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<object?>> rows)
    {
        await using var csv = CsvWriter.Create(writer, Options, leaveOpen: true);
        csv.WriteHeader([.. header]);
        foreach (var row in rows)
        {
            foreach (var value in row)
            {
                csv.WriteField(value);
            }

            await csv.EndRecordAsync();
        }

        await csv.FlushAsync();
    }
}
