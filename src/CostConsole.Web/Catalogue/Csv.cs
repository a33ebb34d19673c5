using System.Globalization;

namespace CostConsole.Web.Catalogue;

/// <summary>RFC 4180 CSV: fields with commas, quotes or line breaks are quoted, quotes doubled; numbers invariant.</summary>
internal static class Csv
{
    public static async Task WriteAsync(TextWriter writer, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<object?>> rows)
    {
        await writer.WriteAsync(string.Join(',', header.Select(Field)) + "\r\n");
        foreach (var row in rows)
        {
            await writer.WriteAsync(string.Join(',', row.Select(Field)) + "\r\n");
        }
    }

    private static string Field(object? value)
    {
        var text = value switch
        {
            null => "",
            IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };

        // A leading =, +, - or @ would run as a formula in a spreadsheet; a quote mark keeps it text.
        if (value is string && text.Length > 0 && text[0] is '=' or '+' or '-' or '@')
        {
            text = "'" + text;
        }

        return text.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
    }
}
