using System.Text;
using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Pricing;
using CostConsole.Routing.Protocols.Batches;
using CostConsole.Routing.Tokens;
using static CostConsole.Routing.Tests.TestRouting;

namespace CostConsole.Routing.Tests;

public sealed class BatchPricingTests
{
    [Fact]
    public void A_batch_line_pays_every_rate_less_the_batch_discount()
    {
        var book = new PriceBook([new ModelPrice("sim/big", PriceStart, 2.00m, 0.50m, 8.00m, BatchDiscount: 0.25m)]);

        // 1,000 prompt tokens of which 400 cached, 500 completion, each rate at 75 %:
        // 600 × $1.50/M + 400 × $0.375/M + 500 × $6/M = 0.0009 + 0.00015 + 0.003
        var batch = CostCalculator.Cost(book, "sim/big", PriceStart, new TokenUsage(1_000, 400, 500), batch: true);
        var interactive = CostCalculator.Cost(book, "sim/big", PriceStart, new TokenUsage(1_000, 400, 500));

        Assert.Equal(0.00405m, batch);
        Assert.Equal(0.0054m, interactive);
    }

    [Fact]
    public void A_model_without_a_batch_discount_costs_the_same_in_a_batch()
    {
        var book = new PriceBook([new ModelPrice("sim/mini", PriceStart, 0.40m, null, 1.60m)]);

        Assert.Equal(2.00m, CostCalculator.Cost(book, "sim/mini", PriceStart, new TokenUsage(1_000_000, 0, 1_000_000), batch: true));
    }

    [Fact]
    public void A_batch_file_with_a_byte_order_mark_crlf_and_blank_lines_reads_every_request_with_its_line_number()
    {
        var text = "\uFEFF" + Line("a") + "\r\n\r\n" + Line("b") + "\r\n";

        var (lines, problems) = BatchInputFile.Read(Encoding.UTF8.GetBytes(text), 10, O200kTokenCounter.Instance, _ => true);

        Assert.Empty(problems);
        Assert.Equal([(1, "a"), (3, "b")], lines.Select(l => (l.Line, l.CustomId)));
        Assert.All(lines, l => Assert.True(l.PromptTokens > 0));
    }

    [Fact]
    public void A_batch_file_over_the_line_limit_is_refused_at_the_first_line_too_many()
    {
        var text = string.Join('\n', Enumerable.Range(1, 4).Select(i => Line("r" + i)));

        var (lines, problems) = BatchInputFile.Read(Encoding.UTF8.GetBytes(text), 3, O200kTokenCounter.Instance, _ => true);

        Assert.Empty(lines);
        var problem = Assert.Single(problems);
        Assert.Equal(4, problem.Line);
        Assert.Contains("more than 3 requests", problem.Reason, StringComparison.Ordinal);
    }

    private static string Line(string id) =>
        $$$"""{"custom_id":"{{{id}}}","method":"POST","url":"/v1/chat/completions","body":{"model":"auto","messages":[{"role":"user","content":"Hello {{{id}}}"}]}}""";
}
