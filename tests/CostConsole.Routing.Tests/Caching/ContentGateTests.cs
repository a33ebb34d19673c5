using CostConsole.Routing.Caching;

namespace CostConsole.Routing.Tests.Caching;

/// <summary>The content gate refuses to answer one prompt with another's answer when a detail that matters differs.</summary>
public sealed class ContentGateTests
{
    private static string? Gate(string a, string b) => PromptFacts.Of(a).DiffersFrom(PromptFacts.Of(b));

    [Theory]
    [InlineData("How do I turn on two-factor authentication?", "How do I turn off two-factor authentication?", "opposite")]
    [InlineData("Is the premium plan refundable?", "Is the premium plan not refundable?", "negation")]
    [InlineData("Can I change my delivery address?", "Can't I change my delivery address?", "negation")]
    [InlineData("How do I enable dark mode?", "How do I disable dark mode?", "opposite")]
    [InlineData("What is 15% of 200?", "What is 15% of 300?", "number")]
    [InlineData("Convert 3 miles to kilometres", "Convert three hundred miles to kilometres", "number")]
    [InlineData("Is shipping free above $50?", "Is shipping free above €50?", "currency")]
    [InlineData("Where is order ORD-48213?", "Where is order ORD-48231?", "number")]
    [InlineData("Open the ticket for acme-eu", "Open the ticket for acme_eu", "identifier")]
    [InlineData("Send the invoice to jane@example.com", "Send the invoice to john@example.com", "identifier")]
    [InlineData("What are the opening hours of the Berlin store?", "What are the opening hours of the Munich store?", "name")]
    [InlineData("Does the iPhone 15 support wireless charging?", "Does the Pixel 8 support wireless charging?", "number")]
    [InlineData("Translate this sentence into French.", "Translate this sentence into German.", "name")]
    [InlineData("Where is my parcel?", "Où est mon colis ?", "language")]
    [InlineData("Summarise the file \"q3-report\"", "Summarise the file \"q4-report\"", "number")]
    public void Prompts_that_differ_in_a_detail_that_changes_the_answer_are_refused(string a, string b, string what)
    {
        var reason = Gate(a, b);

        Assert.NotNull(reason);
        Assert.Contains(what switch { "opposite" => "opposite", "negation" => "negation", "number" => "number", "currency" => "currenc", "identifier" => "identifier", "name" => "name", _ => "language" }, reason, StringComparison.Ordinal);
        Assert.NotNull(Gate(b, a));
    }

    [Theory]
    [InlineData("Where is my parcel?", "Where's my parcel?")]
    [InlineData("How do I reset my password?", "How can I reset my password?")]
    [InlineData("What are your opening hours?", "When are you open? What are the hours?")]
    [InlineData("Cancel my subscription, please.", "How can I cancel my subscription?")]
    [InlineData("Does the Pro plan include priority support?", "Is priority support included in the Pro plan?")]
    [InlineData("Can I pay with PayPal?", "Is PayPal accepted as a payment method?")]
    [InlineData("I can't log in to my account", "I cannot log in to my account")]
    public void Paraphrases_that_keep_every_such_detail_pass(string a, string b)
    {
        Assert.Null(Gate(a, b));
        Assert.Null(Gate(b, a));
    }
}
