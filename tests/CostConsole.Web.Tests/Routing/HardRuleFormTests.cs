using CostConsole.Routing.Rules;
using CostConsole.Web.Routing;

namespace CostConsole.Web.Tests.Routing;

public sealed class HardRuleFormTests
{
    [Fact]
    public void A_rule_marked_hard_stays_hard_when_it_is_edited_and_saved()
    {
        var rule = new RuleDefinition { Name = "refunds", Hard = true, Conditions = [new KeywordCondition(KeywordMatch.Any, ["refund"])], Action = RuleAction.ToTier("large") };

        var form = RuleForm.From(rule);
        form.Name = "refunds-and-returns";
        var saved = form.ToDefinition();

        Assert.True(saved.Hard);
        Assert.False((RuleForm.From(rule with { Hard = false }).ToDefinition()).Hard);
    }
}
