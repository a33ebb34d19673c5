using System.Text;
using CostConsole.Routing.Privacy;

namespace CostConsole.Benchmarks.Privacy;

/// <summary>The 2,000-character support prompts the personal-data scan is measured on, and the detector with one admin pattern.</summary>
internal static class PersonalDataPrompts
{
    public const int Length = 2_000;

    /// <summary>A support ticket with an e-mail, a phone number, a card, an IBAN and an IP address, plus dates, prices and order numbers.</summary>
    public static readonly string WithPersonalData = Fill(
        "Hello, I'm Jane (jane.doe@example.com, +44 20 7946 0958). My card 4111 1111 1111 1111 was charged twice on 2024-03-15 for order 1234567 "
        + "($129.99 each). Please refund to DE89 3704 0044 0532 0130 00. The app (version 10.2.3) logged me in from 192.168.10.20 at 12:30:45. ");

    /// <summary>The same length of support prose without any personal data, but with the digits and dots that look like it.</summary>
    public static readonly string WithoutPersonalData = Fill(
        "Hello, my order 1234567 from 2024-03-15 ($129.99, 3 items of 250 g) arrived late and the box was damaged. Version 10.2.3 of the app "
        + "shows error E-4012 at 12:30:45 when I open the tracking page. Can you tell me when a replacement ships and whether I pay again? ");

    /// <summary>The built-in detectors plus one admin pattern (a customer number), as a deployment would have them.</summary>
    public static PersonalDataDetector Detector()
    {
        var errors = new List<string>();
        var detector = PersonalDataDetector.Compile([new PersonalDataPattern("customer-number", @"\bCUST-\d{6}\b", "CUST-123456")], errors);
        return errors.Count == 0 ? detector : throw new InvalidOperationException(string.Join("; ", errors));
    }

    private static string Fill(string paragraph)
    {
        var text = new StringBuilder(Length + paragraph.Length);
        while (text.Length < Length)
        {
            text.Append(paragraph);
        }

        // Cut at a space so no value is split into something else.
        var cut = text.ToString(0, Length).LastIndexOf(' ');
        return text.ToString(0, cut).PadRight(Length, ' ');
    }
}
