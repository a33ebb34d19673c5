using CostConsole.Routing.Privacy;
using static CostConsole.Routing.Tests.TestRouting;

namespace CostConsole.Routing.Tests;

public sealed class StoredAnswerTests
{
    private const string Answer = "I have written to maria.lopez@example-shop.com and refunded card 4539 1488 0343 6467 for order CUST-778899.";

    [Fact]
    public void A_redacted_answer_holds_no_personal_data_found_by_the_requests_own_detector()
    {
        var errors = new List<string>();
        var detector = PersonalDataDetector.Compile([new PersonalDataPattern("customer-number", @"CUST-\d{6}", "CUST-000001")], errors);
        Assert.Empty(errors);
        using var request = Request("Where is my refund?");
        request.DetectPersonalData(detector);

        var stored = StoredAnswer.Of(Answer, request, PromptStorage.Redacted);

        Assert.Equal("I have written to [EMAIL] and refunded card [CARD] for order [CUSTOMER-NUMBER].", stored);
    }

    [Fact]
    public void The_policy_decides_what_is_kept_of_an_answer_full_verbatim_none_nothing()
    {
        using var request = Request("Where is my refund?");

        Assert.Equal(Answer, StoredAnswer.Of(Answer, request, PromptStorage.Full));
        Assert.Null(StoredAnswer.Of(Answer, request, PromptStorage.None));
        Assert.Null(StoredAnswer.Of(null, request, PromptStorage.Full));
        Assert.Equal("No personal data here.", StoredAnswer.Of("No personal data here.", request, PromptStorage.Redacted));
    }
}
