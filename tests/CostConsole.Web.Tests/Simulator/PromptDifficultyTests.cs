using CostConsole.Simulator;

namespace CostConsole.Web.Tests.Simulator;

public sealed class PromptDifficultyTests
{
    [Fact]
    public void A_short_faq_question_is_easy()
    {
        foreach (var question in Prompts.FaqQuestions)
        {
            Assert.InRange(PromptDifficulty.Estimate(question), 0.1, 0.25);
        }
    }

    [Fact]
    public void A_multi_step_analysis_is_hard()
    {
        Assert.True(PromptDifficulty.Estimate(Prompts.MultiStepAnalysis) >= 0.8);
    }

    [Fact]
    public void An_faq_ranks_below_a_multi_step_analysis()
    {
        Assert.True(PromptDifficulty.Estimate(Prompts.Faq) < PromptDifficulty.Estimate(Prompts.MultiStepAnalysis));
    }

    [Fact]
    public void A_code_block_makes_a_question_harder()
    {
        const string question = "Why does this fail?";
        const string withCode = "Why does this fail?\n```\nvar total = invoices.Sum(i => i.Amount);\n```";

        Assert.True(PromptDifficulty.Estimate(withCode) > PromptDifficulty.Estimate(question));
    }

    [Fact]
    public void Several_questions_are_harder_than_one()
    {
        Assert.True(
            PromptDifficulty.Estimate("Can I change my plan? Will I lose data? Is it prorated?")
            > PromptDifficulty.Estimate("Can I change my plan?"));
    }
}
