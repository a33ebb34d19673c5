using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;

namespace CostConsole.Benchmarks.Routing;

/// <summary>
/// Counting the prompt of a 1 MB request, the gateway's own work before routing: text without whitespace made
/// the tokenizer quadratic (a megabyte of one letter took minutes). Each input is 1 MiB of UTF-8 text.
/// <c>Count</c> is the token counter alone; <c>ParseAndCount</c> is what /v1 and /api/route/explain do with the body:
/// parse, check the text, count once.
/// </summary>
[MemoryDiagnoser]
[InProcess]
[WarmupCount(2)]
[IterationCount(6)]
public class TokenCountingBenchmarks
{
    private const int Bytes = 1 << 20;

    private string _text = null!;
    private byte[] _body = null!;

    [ParamsSource(nameof(Kinds))]
    public string Input { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _text = Make(Input, Bytes);
        _body = Body(_text);
    }

    /// <summary>A chat request with <paramref name="text"/> as its one user message, written as clients write it (UTF-8, not \u escapes).</summary>
    public static byte[] Body(string text) => JsonSerializer.SerializeToUtf8Bytes(
        new { model = "auto", messages = new[] { new { role = "user", content = text } } },
        new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    public static string[] Kinds { get; } = ["letters", "cjk", "base64", "prose"];

    /// <summary>Text of <paramref name="kind"/> that is <paramref name="bytes"/> long in UTF-8 (to within one character).</summary>
    public static string Make(string kind, int bytes)
    {
        var random = new Random(14);
        var text = kind switch
        {
            "letters" => new string('a', bytes),
            "cjk" => Fill(random, bytes, r => (char)r.Next(0x4E00, 0x9FA5)),
            "base64" => Convert.ToBase64String(RandomBytes(random, bytes / 4 * 3)),
            _ => Prose(random, bytes),
        };
        if (Encoding.UTF8.GetByteCount(text) is var size && (size < bytes - 4 || size > bytes))
        {
            throw new InvalidOperationException($"The {kind} input is {size} bytes, not {bytes}.");
        }

        return text;
    }

    [Benchmark]
    public int Count() => O200kTokenCounter.Instance.CountTokens(_text);

    [Benchmark]
    public long ParseAndCount()
    {
        using var request = ChatRequestParser.Parse(_body, null, O200kTokenCounter.Instance);
        return request.CountPromptTokens(CancellationToken.None);
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Characters of up to three UTF-8 bytes until the text is <paramref name="length"/> bytes.</summary>
    private static string Fill(Random random, int length, Func<Random, char> next)
    {
        var text = new StringBuilder();
        var bytes = 0;
        while (true)
        {
            var c = next(random);
            var size = c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
            if (bytes + size > length)
            {
                return text.ToString();
            }

            text.Append(c);
            bytes += size;
        }
    }

    private static string Prose(Random random, int length)
    {
        string[] words =
        [
            "the", "customer", "asked", "why", "their", "invoice", "for", "March", "was", "charged", "twice", "and", "whether",
            "a", "refund", "is", "on", "its", "way", "please", "reset", "password", "account", "order", "tracking", "number",
            "delivery", "arrived", "damaged", "support", "ticket", "escalate", "manager", "subscription", "cancel", "renewal",
        ];
        var text = new StringBuilder(length);
        while (text.Length < length - 40)
        {
            text.Append(words[random.Next(words.Length)]);
            text.Append(random.Next(12) switch { 0 => ". ", 1 => ", ", 2 => $" {random.Next(10_000)} ", _ => " " });
        }

        return text.Append(new string('.', length - text.Length)).ToString();
    }
}
