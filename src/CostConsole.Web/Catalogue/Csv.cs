using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;

namespace CostConsole.Web.Catalogue;

/// <summary>
/// RFC 4180 CSV written by CsvHelper: fields quoted where needed, numbers in the invariant culture, and text that a
/// spreadsheet would run as a formula (a leading =, +, -, @, tab or carriage return) kept as text with a leading quote
/// mark. Numbers are written as numbers: a negative saving stays <c>-0.5</c>, not text.
/// </summary>
internal static class Csv
{
    private static readonly CsvConfiguration Options = new(CultureInfo.InvariantCulture) { InjectionOptions = InjectionOptions.None };

    private static readonly char[] FormulaStarts = ['=', '+', '-', '@', '\t', '\r'];

    public static async Task WriteAsync(TextWriter writer, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<object?>> rows)
    {
        await using var csv = Open(writer);
        await WriteRowAsync(csv, header);
        foreach (var row in rows)
        {
            await WriteRowAsync(csv, row);
        }

        await csv.FlushAsync();
    }

    /// <summary>A writer for files written row by row (streamed exports); the caller disposes it.</summary>
    public static CsvWriter Open(TextWriter writer) => new(writer, Options, leaveOpen: true);

    public static Task WriteRowAsync(CsvWriter csv, IEnumerable<object?> row)
    {
        foreach (var value in row)
        {
            csv.WriteField(Field(value));
        }

        return csv.NextRecordAsync();
    }

    private static string? Field(object? value) => value switch
    {
        null => null,
        sbyte or byte or short or ushort or int or uint or long or ulong or float or double or decimal => ((IFormattable)value).ToString(null, CultureInfo.InvariantCulture),
        IFormattable formattable => Text(formattable.ToString(null, CultureInfo.InvariantCulture)),
        _ => Text(value.ToString()),
    };

    private static string? Text(string? text) => text is { Length: > 0 } && Array.IndexOf(FormulaStarts, text[0]) >= 0 ? "'" + text : text;
}
