using CostConsole.Routing.Escalation;

namespace CostConsole.Routing.Tests;

public sealed class ArithmeticConsistencyTests
{
    [Fact]
    public void A_wrong_total_is_named_with_the_value_it_should_have_been()
    {
        var report = ArithmeticConsistency.Check("Three seats at $12.50 each: 3 × 12.50 = 36.50 in total.");

        var slip = Assert.Single(report.Slips);
        Assert.Equal("3 × 12.50 = 36.50 (expected 37.50)", slip.ToString());
    }

    [Theory]
    [InlineData("3 × 12.50 = 37.50")]
    [InlineData("3 x 12.50 = 37.50")]
    [InlineData("3*12.50=37.50")]
    [InlineData("The refund is $120 / 4 = $30.")]
    [InlineData("120 ÷ 4 = 30")]
    [InlineData("(3 + 4) × 2 = 14")]
    [InlineData("2 + 3 × 4 = 14")]
    [InlineData("1,250 + 2,500.50 = 3,750.50")]
    [InlineData("15% of $200 = $30")]
    [InlineData("$200 × 15% = $30")]
    [InlineData("$200 + 10% = $220")]
    [InlineData("30 / 200 = 15%")]
    [InlineData("30 / 200 × 100 = 15%")]
    [InlineData("1/3 = 0.33")]
    [InlineData("2/3 = 0.67")]
    [InlineData("-5 + 3 = -2")]
    [InlineData("5 − 8 = −3")]
    [InlineData("She works 3*60 = <<3*60=180>>180 minutes.")]
    [InlineData("12 EUR × 3 = 36 EUR")]
    [InlineData("USD 19.99 × 2 = USD 39.98")]
    [InlineData("2 × 3 + 4 = 6 + 4 = 10")]
    [InlineData("$ \\( 3 \\times 4 = 12 \\)")]
    [InlineData("**Total: 3 + 4 = 7**")]
    [InlineData("12.5% of 19.99 = 2.50")]
    public void Consistent_calculations_pass_and_are_counted(string answer)
    {
        var report = ArithmeticConsistency.Check(answer);

        Assert.Empty(report.Slips);
        Assert.True(report.Checked >= 1, $"checked {report.Checked}");
    }

    [Theory]
    [InlineData("3 × 12.50 = 36.50", "37.50")]
    [InlineData("She works 3*60 = <<3*60=190>>190 minutes.", "180")]
    [InlineData("15% of $200 = $35", "30")]
    [InlineData("2 × 3 + 4 = 6 + 4 = 11", "10")]
    [InlineData("1,250 + 2,500.50 = 3,650.50", "3,750.50")]
    [InlineData("5 / 360 × 2,000 × 6% = 1.94%", "1.67%")]
    [InlineData("1/3 = 0.34", "0.33")]
    [InlineData("-5 + 3 = 2", "-2")]
    [InlineData("30 / 200 = 20%", "15%")]
    [InlineData("(100 - 20) / 4 = 25", "20")]
    public void A_contradiction_fails_and_says_what_was_expected(string answer, string expected)
    {
        var slip = Assert.Single(ArithmeticConsistency.Check(answer).Slips);

        Assert.Equal(expected, slip.Expected);
    }

    [Theory]
    [InlineData("Your appointment is on 2024-01-15 = Monday.")]
    [InlineData("Deadline: 12/05/2024 = 30 days from now.")]
    [InlineData("We open at 10:30 = half past ten.")]
    [InlineData("Call us on 555-123-4567 = our support line.")]
    [InlineData("Call 555-1234 or +1 555 123 4567.")]
    [InlineData("Order #12345-678 = your latest order.")]
    [InlineData("Set version = 2.1.0 and retries = 3.")]
    [InlineData("Upgrade from v2.1 = 3 features.")]
    [InlineData("Delivery takes 5-10 days; express takes 1-2 days.")]
    [InlineData("Mix at a 3:2 ratio = 1.5 parts per part.")]
    [InlineData("The box is 5 x 10 cm = 50 cm² of label space.")]
    [InlineData("Solve 2x + 3 = 7, so x = 2.")]
    [InlineData("If 3x - 5 = 10 then x = 5.")]
    [InlineData("2 * x + 3 = 7")]
    [InlineData("y = 2(x + 3) = 10")]
    [InlineData("2^3 + 1 = 9")]
    [InlineData("5! = 120")]
    [InlineData("x² + 1 = 5")]
    [InlineData("1,5 + 2 = 3,5")]
    [InlineData("- 3 + 4 = 7 is what the student wrote")]
    [InlineData("Total ≈ 3 + 4 = 7")]
    [InlineData("The sum is 5,779 + 1,706 = $7,  485.00 before tax.")]
    [InlineData("if a <= 3 + 4 = b")]
    public void Dates_times_phone_numbers_versions_ranges_ratios_units_and_unknowns_raise_no_alarm(string answer)
    {
        Assert.Empty(ArithmeticConsistency.Check(answer).Slips);
    }

    [Fact]
    public void A_bulleted_list_of_calculations_is_read_line_by_line()
    {
        var report = ArithmeticConsistency.Check("- 3 × 4 = 12\n- 12 + 8 = 20\n* 20 / 5 = 4\n1. 5 × 5 = 26");

        var slip = Assert.Single(report.Slips);
        Assert.Equal("5 × 5 = 26 (expected 25)", slip.ToString());
        Assert.Equal(4, report.Checked);
    }

    [Fact]
    public void Equations_listed_with_commas_are_each_checked()
    {
        var report = ArithmeticConsistency.Check("2 + 2 = 4, 3 + 3 = 7, 4 + 4 = 8");

        Assert.Equal("3 + 3 = 7 (expected 6)", Assert.Single(report.Slips).ToString());
        Assert.Equal(3, report.Checked);
    }

    [Fact]
    public void The_tolerance_is_in_units_of_the_last_digit_shown()
    {
        Assert.Empty(ArithmeticConsistency.Check("10 / 3 = 3.3").Slips);
        Assert.Single(ArithmeticConsistency.Check("10 / 3 = 3.4").Slips);
        Assert.Empty(ArithmeticConsistency.Check("10 / 3 = 3.4", tolerance: 1m).Slips);
        Assert.Empty(ArithmeticConsistency.Check("2.5 × 3 = 8").Slips);
        Assert.Single(ArithmeticConsistency.Check("2.5 × 3 = 8.0").Slips);
    }

    [Fact]
    public void Numbers_too_long_for_decimal_arithmetic_and_divisions_by_zero_are_not_checked()
    {
        Assert.Empty(ArithmeticConsistency.Check("123456789012345678901234567890123 + 1 = 5").Slips);
        Assert.Empty(ArithmeticConsistency.Check("79228162514264337593543950335 × 10 = 1").Slips);
        Assert.Empty(ArithmeticConsistency.Check("5 / 0 = 1").Slips);
        Assert.Empty(ArithmeticConsistency.Check("12345678901234567890 × 10 = 123456789012345678900").Slips);
        Assert.Single(ArithmeticConsistency.Check("12345678901234567890 + 1 = 12345678901234567890").Slips);
    }

    [Fact]
    public void Text_without_calculations_checks_nothing()
    {
        Assert.Equal(0, ArithmeticConsistency.Check("Thanks for reaching out, your order has shipped.").Checked);
        Assert.Equal(0, ArithmeticConsistency.Check("Status = shipped").Checked);
        Assert.Equal(0, ArithmeticConsistency.Check(null).Checked);
    }

    [Fact]
    public void Deeply_nested_brackets_are_left_unchecked_rather_than_recursed_into()
    {
        var text = new string('(', 5000) + "1" + new string(')', 5000) + " + 1 = 3";

        Assert.Empty(ArithmeticConsistency.Check(text).Slips);
    }
}
