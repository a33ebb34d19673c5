using Microsoft.AspNetCore.Components.Forms;

namespace CostConsole.Web.Components;

/// <summary>Reading a file a person picked in the browser, with a size limit they are told about.</summary>
internal static class BrowserFiles
{
    /// <returns>The text, or the reason it was not read.</returns>
    public static async Task<(string? Text, string? Error)> ReadTextAsync(IBrowserFile file, long maxBytes)
    {
        if (file.Size > maxBytes)
        {
            return (null, $"'{file.Name}' is {file.Size / 1024d / 1024d:0.#} MB; at most {maxBytes / 1024 / 1024} MB can be uploaded here.");
        }

        using var reader = new StreamReader(file.OpenReadStream(maxBytes));
        return (await reader.ReadToEndAsync(), null);
    }
}
