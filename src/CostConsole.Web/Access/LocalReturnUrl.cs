using System.Text;

namespace CostConsole.Web.Access;

/// <summary>
/// Where to go after signing in: only a path on this site, and written in ASCII, since a Location header cannot carry
/// anything else (a returnUrl like <c>/requests?q=café</c> failed the sign-in with a 500).
/// </summary>
public static class LocalReturnUrl
{
    /// <summary><paramref name="url"/> percent-encoded when it is a local path, otherwise null.</summary>
    public static string? Encode(string? url)
    {
        if (string.IsNullOrEmpty(url) || url[0] != '/' || (url.Length > 1 && url[1] is '/' or '\\'))
        {
            return null;
        }

        var encoded = new StringBuilder(url.Length + 16);
        Span<byte> bytes = stackalloc byte[4];
        foreach (var rune in url.EnumerateRunes())
        {
            // Printable ASCII stays; anything else (controls browsers strip, which could turn "/\t/host" into "//host", and
            // every non-ASCII character) goes as its UTF-8 bytes, percent-encoded.
            if (rune.Value is > 0x20 and < 0x7F && rune.Value != '\\')
            {
                encoded.Append((char)rune.Value);
                continue;
            }

            var length = rune.EncodeToUtf8(bytes);
            foreach (var b in bytes[..length])
            {
                encoded.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return encoded.ToString();
    }
}
