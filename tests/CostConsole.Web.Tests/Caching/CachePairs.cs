namespace CostConsole.Web.Tests.Caching;

/// <summary>
/// Prompt pairs written for the cache: adversarial pairs whose answers differ although the words barely do, and
/// paraphrase pairs that deserve the same answer. The first prompt of a pair is answered and stored, the second asked.
/// </summary>
internal static class CachePairs
{
    public static readonly (string Kind, string Stored, string Asked)[] Adversarial =
    [
        ("negation", "How do I turn on two-factor authentication?", "How do I turn off two-factor authentication?"),
        ("negation", "Is the premium plan refundable?", "Is the premium plan not refundable?"),
        ("negation", "Can I change my delivery address after ordering?", "Why can't I change my delivery address after ordering?"),
        ("negation", "How do I enable email notifications?", "How do I disable email notifications?"),
        ("negation", "Should I restart the router before updating the firmware?", "Should I restart the router after updating the firmware?"),
        ("negation", "Which plans include phone support?", "Which plans do not include phone support?"),
        ("negation", "How do I subscribe to the newsletter?", "How do I unsubscribe from the newsletter?"),
        ("negation", "How do I lock my account?", "How do I unlock my account?"),
        ("negation", "Does the warranty cover water damage?", "Does the warranty never cover water damage?"),
        ("negation", "How do I add a user to my workspace?", "How do I remove a user from my workspace?"),
        ("number", "What is 15% of 200?", "What is 15% of 300?"),
        ("number", "Convert 5 miles to kilometres.", "Convert 50 miles to kilometres."),
        ("number", "Can I return an item after 14 days?", "Can I return an item after 30 days?"),
        ("number", "How many users does the plan for 10 seats allow?", "How many users does the plan for 25 seats allow?"),
        ("number", "Write a haiku with three lines about autumn.", "Write a poem with five lines about autumn."),
        ("number", "What happens if I pay two days late?", "What happens if I pay ten days late?"),
        ("amount", "Is shipping free for orders above $50?", "Is shipping free for orders above $75?"),
        ("amount", "Can I get a refund for a 20 EUR charge?", "Can I get a refund for a 200 EUR charge?"),
        ("amount", "What fee applies to a $1,000 transfer?", "What fee applies to a $10,000 transfer?"),
        ("amount", "Is shipping free for orders above $50?", "Is shipping free for orders above €50?"),
        ("order id", "Where is order ORD-48213?", "Where is order ORD-48231?"),
        ("order id", "Cancel order 77120 please.", "Cancel order 77210 please."),
        ("order id", "What is the status of ticket #4471?", "What is the status of ticket #4417?"),
        ("order id", "Send the invoice to jane@example.com", "Send the invoice to john@example.com"),
        ("name", "What are the opening hours of the Berlin store?", "What are the opening hours of the Munich store?"),
        ("name", "Does Alice have admin rights?", "Does Bob have admin rights?"),
        ("name", "Summarise the complaint from Acme Corp.", "Summarise the complaint from Globex Corp."),
        ("name", "What is the phone number of the London office?", "What is the phone number of the Paris office?"),
        ("name", "Is Maria on the support rota this week?", "Is Marco on the support rota this week?"),
        ("product", "Does the iPhone support wireless charging?", "Does the Pixel support wireless charging?"),
        ("product", "How do I reset a Kindle?", "How do I reset a Kobo?"),
        ("product", "Is the Pro plan billed monthly?", "Is the Team plan billed monthly?"),
        ("product", "Can I use Zapier with the CRM?", "Can I use Make with the CRM?"),
        ("product", "How do I export contacts to Excel?", "How do I export contacts to Salesforce?"),
        ("product", "Does the Model 3 have a heat pump?", "Does the Model Y have a heat pump?"),
        ("language", "Translate 'thank you for your order' into French.", "Translate 'thank you for your order' into German."),
        ("language", "Where is my parcel?", "Où est mon colis ?"),
        ("language", "How do I reset my password?", "Wie setze ich mein Passwort zurück?"),
        ("language", "Reply to this customer in Spanish.", "Reply to this customer in Italian."),
        ("language", "What are your opening hours?", "¿Cuál es su horario de apertura?"),
    ];

    public static readonly (string Stored, string Asked)[] Paraphrases =
    [
        ("How do I reset my password?", "How can I reset my password?"),
        ("Where is my parcel?", "Where's my parcel?"),
        ("What are your opening hours?", "What are your opening times?"),
        ("How do I cancel my subscription?", "How can I cancel my subscription?"),
        ("Do you ship to Canada?", "Do you deliver to Canada?"),
        ("Can I pay with PayPal?", "Is it possible to pay with PayPal?"),
        ("How do I change my email address?", "How can I change my email address?"),
        ("What is your returns policy?", "What is your return policy?"),
        ("How long does delivery take?", "How long does shipping take?"),
        ("How do I contact customer support?", "How can I contact customer support?"),
        ("Is there a student discount?", "Do you offer a student discount?"),
        ("How do I update my billing details?", "How can I update my billing details?"),
        ("Can I change my delivery address?", "Is it possible to change my delivery address?"),
        ("How do I delete my account?", "How can I delete my account?"),
        ("Do you have a mobile app?", "Is there a mobile app?"),
        ("What payment methods do you accept?", "Which payment methods do you accept?"),
        ("How do I track my order?", "How can I track my order?"),
        ("Where can I download my invoice?", "Where do I download my invoice?"),
        ("Is my data encrypted?", "Is my data stored encrypted?"),
        ("How do I export my contacts?", "How can I export my contacts?"),
    ];
}
