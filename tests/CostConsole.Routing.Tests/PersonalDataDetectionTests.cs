using CostConsole.Routing.Decisions;
using CostConsole.Routing.Privacy;
using static CostConsole.Routing.Tests.TestRouting;

namespace CostConsole.Routing.Tests;

public sealed class PersonalDataDetectionTests
{
    private static PersonalDataFindings Scan(string text) => PersonalDataDetector.BuiltIn.Scan(text);

    private static string Redacted(string text) => Scan(text).Redact(0, text);

    [Theory]
    [InlineData("Write to jane.doe+orders@example.co.uk today", "Write to [EMAIL] today")]
    [InlineData("Contact:support@shop-123.com.", "Contact:[EMAIL].")]
    [InlineData("a_b%c@mail.example.org", "[EMAIL]")]
    public void E_mail_addresses_are_found_and_replaced(string text, string redacted)
    {
        Assert.Equal([new PersonalDataCount(PersonalDataKinds.Email, 1)], Scan(text).Counts);
        Assert.Equal(redacted, Redacted(text));
    }

    [Theory]
    [InlineData("ping @channel about it")]
    [InlineData("user@localhost is not an address")]
    [InlineData("see v1.2@3.4 for details")]
    [InlineData("mail me at name@ later")]
    public void Mentions_and_addresses_without_a_real_domain_are_not_e_mail(string text) =>
        Assert.False(Scan(text).Any);

    [Theory]
    [InlineData("Card 4111 1111 1111 1111, exp 12/27", "Card [CARD], exp 12/27")]
    [InlineData("card: 5500-0000-0000-0004.", "card: [CARD].")]
    [InlineData("amex 378282246310005 please", "amex [CARD] please")]
    [InlineData("4012888888881881", "[CARD]")]
    public void Card_numbers_that_pass_the_luhn_check_are_found(string text, string redacted)
    {
        Assert.Equal([new PersonalDataCount(PersonalDataKinds.Card, 1)], Scan(text).Counts);
        Assert.Equal(redacted, Redacted(text));
    }

    [Theory]
    [InlineData("Order 4111 1111 1111 1112 has not arrived")]
    [InlineData("order number 4111111111111112")]
    [InlineData("reference 5500-0000-0000-0005")]
    [InlineData("invoice 1234567890123452")]
    public void Order_numbers_shaped_like_cards_that_fail_luhn_are_not_cards(string text) =>
        Assert.False(Scan(text).Any);

    [Theory]
    [InlineData("Pay to DE89 3704 0044 0532 0130 00 by Friday", "Pay to [IBAN] by Friday")]
    [InlineData("IBAN GB82WEST12345698765432.", "IBAN [IBAN].")]
    [InlineData("FR14 2004 1010 0505 0001 3M02 606", "[IBAN]")]
    public void Ibans_with_a_valid_checksum_are_found(string text, string redacted)
    {
        Assert.Equal([new PersonalDataCount(PersonalDataKinds.Iban, 1)], Scan(text).Counts);
        Assert.Equal(redacted, Redacted(text));
    }

    [Theory]
    [InlineData("Pay to DE88 3704 0044 0532 0130 00 by Friday")]
    [InlineData("IBAN GB82WEST12345698765433")]
    [InlineData("part number AB12 CDEF GHIJ KLMN")]
    public void Ibans_with_a_bad_checksum_are_not_found(string text) =>
        Assert.False(Scan(text).Any);

    [Theory]
    [InlineData("Call +44 20 7946 0958 after 5", "Call [PHONE] after 5")]
    [InlineData("my number is +1 (555) 123-4567", "my number is [PHONE]")]
    [InlineData("ring (555) 123-4567 now", "ring [PHONE] now")]
    [InlineData("tel 555.123.4567", "tel [PHONE]")]
    [InlineData("Telefon 0049 30 1234567", "Telefon [PHONE]")]
    [InlineData("appelez le 06 12 34 56 78", "appelez le [PHONE]")]
    [InlineData("+33612345678", "[PHONE]")]
    public void Phone_numbers_in_international_and_national_formats_are_found(string text, string redacted)
    {
        Assert.Equal([new PersonalDataCount(PersonalDataKinds.Phone, 1)], Scan(text).Counts);
        Assert.Equal(redacted, Redacted(text));
    }

    [Theory]
    [InlineData("Delivered on 2024-01-15 at 12:30:45")]
    [InlineData("the date 01.02.2024 and 05/12/2024")]
    [InlineData("It costs $1,299.00 or 1 299,00 EUR")]
    [InlineData("Upgrade to version 10.0.19045 or 2.3.1")]
    [InlineData("Order 12345678901 shipped in 3 boxes of 250")]
    [InlineData("Tracking 1Z999AA10123456784")]
    [InlineData("Dimensions 120-80-45 cm")]
    public void Dates_prices_times_versions_and_order_numbers_are_not_personal_data(string text) =>
        Assert.False(Scan(text).Any, Scan(text).Summary);

    [Theory]
    [InlineData("login from 192.168.1.20 failed", "login from [IP] failed")]
    [InlineData("server 2001:db8::8a2e:370:7334 is down", "server [IP] is down")]
    [InlineData("loopback ::1 answers", "loopback [IP] answers")]
    [InlineData("mapped fe80::1ff:fe23:4567:890a.", "mapped [IP].")]
    public void Ip_addresses_of_both_families_are_found(string text, string redacted)
    {
        Assert.Equal([new PersonalDataCount(PersonalDataKinds.IpAddress, 1)], Scan(text).Counts);
        Assert.Equal(redacted, Redacted(text));
    }

    [Theory]
    [InlineData("version 1.2.3 and build 1.2.3.4.5")]
    [InlineData("octets 256.1.1.1 are out of range")]
    [InlineData("std::vector<int> and Foo::Bar")]
    [InlineData("meet at 10:30 or 12:30:45")]
    public void Version_strings_code_and_times_are_not_ip_addresses(string text) =>
        Assert.False(Scan(text).Any, Scan(text).Summary);

    [Fact]
    public void Several_kinds_are_counted_without_their_values()
    {
        var findings = Scan("I'm jane@example.com, card 4111 1111 1111 1111, also bob@example.org, call +44 20 7946 0958");

        Assert.Equal(
            [new PersonalDataCount("email", 2), new PersonalDataCount("phone", 1), new PersonalDataCount("card", 1)],
            findings.Counts);
        Assert.Equal("email 2, phone 1, card 1", findings.Summary);
        Assert.DoesNotContain("jane", findings.Summary + findings, StringComparison.Ordinal);
    }

    [Fact]
    public void An_admins_pattern_is_a_kind_of_its_own_with_its_own_placeholder()
    {
        var errors = new List<string>();
        var detector = PersonalDataDetector.Compile([new PersonalDataPattern("customer-number", @"\bCUST-\d{6}\b", "CUST-123456")], errors);

        Assert.Empty(errors);
        var findings = detector.Scan("Account CUST-004211 wants a refund; cust-99 is no number");
        Assert.Equal([new PersonalDataCount("customer-number", 1)], findings.Counts);
        Assert.Equal("Account [CUSTOMER-NUMBER] wants a refund; cust-99 is no number", findings.Redact(0, "Account CUST-004211 wants a refund; cust-99 is no number"));
    }

    [Theory]
    [InlineData("id", @"\d{9}", "no digits here", "does not match")]
    [InlineData("email", @"x\d", "x1", "already taken")]
    [InlineData("ssn", @"(?<=SSN )\d{9}", "SSN 123456789", "linear-time engine")]
    [InlineData("bad name!", @"\d", "1", "up to 40 letters")]
    [InlineData("empty", @"\d*", "12", "empty string")]
    [InlineData("broken", @"(\d", "1", "does not compile")]
    public void A_pattern_that_cannot_work_is_refused_with_the_reason(string name, string pattern, string test, string reason)
    {
        var errors = new List<string>();
        PersonalDataDetector.Compile([new PersonalDataPattern(name, pattern, test)], errors);

        Assert.Contains(reason, Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void A_request_is_scanned_once_and_the_decision_shares_the_result()
    {
        var snapshot = Snapshot();
        using var request = Request("My card is 4111 1111 1111 1111", system: "Answer politely to jane@example.com");

        Assert.Null(request.PersonalData);
        Decide(snapshot, request);

        var findings = request.PersonalData;
        Assert.NotNull(findings);
        Assert.True(findings.Any);
        Assert.Same(findings, request.DetectPersonalData(snapshot.PersonalData));
        Assert.Equal("email 1, card 1", findings.Summary);
        Assert.Equal("My card is [CARD]", findings.Redact(request.LastUserIndex, request.LastUserText));
    }

    [Fact]
    public void A_snapshot_with_a_pattern_that_fails_its_test_does_not_compile()
    {
        var config = Config([]) with { PersonalDataPatterns = [new PersonalDataPattern("member", @"M\d{8}", "M123")] };

        var error = Assert.Throws<RoutingConfigException>(() => SnapshotCompiler.Compile(config, PriceStart.AddDays(1)));
        Assert.Contains("Personal-data pattern 'member': the test string 'M123' does not match", error.Message, StringComparison.Ordinal);
    }
}
