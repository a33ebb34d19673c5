using CostConsole.Data.Entities;
using CostConsole.Web.Budgets;

namespace CostConsole.Web.Tests.Budgets;

public sealed class BudgetCounterTests
{
    private static readonly TimeZoneInfo Utc = TimeZoneInfo.Utc;
    private static readonly DateTimeOffset Now = new(2026, 11, 18, 15, 30, 0, TimeSpan.Zero); // a Wednesday

    private static BudgetCounter Counter(long limit = 1_000)
    {
        var counter = new BudgetCounter(new BudgetRule(1, "Test", BudgetScope.Global, null, BudgetPeriod.Daily, limit, [50, 80, 100], null));
        var (start, end) = BudgetPeriods.Containing(BudgetPeriod.Daily, Now, Utc);
        counter.Start(start, end, 0, []);
        return counter;
    }

    [Fact]
    public void A_reservation_that_would_pass_the_limit_is_refused()
    {
        var counter = Counter();

        Assert.Null(counter.TryReserve(1, 600, 600, 0, Now, Now.AddMinutes(10), Utc, out _));
        var refused = counter.TryReserve(2, 500, 500, 0, Now, Now.AddMinutes(10), Utc, out var alert);
        Assert.NotNull(refused);
        Assert.Null(counter.TryReserve(3, 400, 400, 0, Now, Now.AddMinutes(10), Utc, out _));

        // Held by a request in flight that may settle for less, the money is not gone yet: no "exhausted" alert, and the request may wait.
        Assert.False(alert);
        Assert.True(refused.Waitable);

        // Once spent, it is.
        counter.Settle(1, 600, Now, Utc);
        counter.Settle(3, 300, Now, Utc);
        refused = counter.TryReserve(4, 200, 200, 0, Now, Now.AddMinutes(10), Utc, out alert);
        Assert.NotNull(refused);
        Assert.False(refused.Waitable);
        Assert.True(alert);
    }

    [Fact]
    public void Settling_replaces_the_reservation_with_the_real_cost_and_reports_thresholds_once()
    {
        var counter = Counter();
        counter.TryReserve(1, 700, 700, 0, Now, Now.AddMinutes(10), Utc, out _);

        Assert.Equal([50], counter.Settle(1, 550, Now, Utc));
        counter.TryReserve(2, 100, 100, 0, Now, Now.AddMinutes(10), Utc, out _);
        Assert.Empty(counter.Settle(2, 10, Now, Utc));

        var state = counter.Read(Now, Utc);
        Assert.Equal(560, state.SpentNanoUsd);
        Assert.Equal(0, state.ReservedNanoUsd);
    }

    [Fact]
    public void The_reservation_of_a_request_that_never_settles_expires()
    {
        var counter = Counter();
        counter.TryReserve(1, 900, 900, 0, Now, Now.AddMinutes(10), Utc, out _);
        Assert.NotNull(counter.TryReserve(2, 200, 200, 0, Now, Now.AddMinutes(10), Utc, out _));

        Assert.Equal(0, counter.Expire(Now.AddMinutes(9)));
        Assert.Equal(1, counter.Expire(Now.AddMinutes(10)));

        Assert.Equal(0, counter.Read(Now.AddMinutes(10), Utc).ReservedNanoUsd);
        Assert.Null(counter.TryReserve(3, 200, 200, 0, Now.AddMinutes(10), Now.AddMinutes(20), Utc, out _));
    }

    [Fact]
    public void A_released_reservation_spends_nothing()
    {
        var counter = Counter();
        counter.TryReserve(1, 900, 900, 0, Now, Now.AddMinutes(10), Utc, out _);

        counter.Release(1);

        var state = counter.Read(Now, Utc);
        Assert.Equal(0, state.SpentNanoUsd);
        Assert.Equal(0, state.ReservedNanoUsd);
    }

    [Fact]
    public void A_new_period_starts_from_nothing()
    {
        var counter = Counter();
        counter.TryReserve(1, 900, 900, 0, Now, Now.AddMinutes(10), Utc, out _);
        counter.Settle(1, 900, Now, Utc);

        var tomorrow = Now.AddDays(1);
        Assert.Null(counter.TryReserve(2, 900, 900, 0, tomorrow, tomorrow.AddMinutes(10), Utc, out _));
        Assert.Equal(0, counter.Read(tomorrow, Utc).SpentNanoUsd);
    }

    [Fact]
    public void Periods_follow_the_calendar_of_the_time_zone()
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var at = new DateTimeOffset(2026, 11, 30, 23, 30, 0, TimeSpan.Zero); // already 1 December in Berlin

        var (dayStart, dayEnd) = BudgetPeriods.Containing(BudgetPeriod.Daily, at, zone);
        var (weekStart, _) = BudgetPeriods.Containing(BudgetPeriod.Weekly, at, zone);
        var (monthStart, monthEnd) = BudgetPeriods.Containing(BudgetPeriod.Monthly, at, zone);

        Assert.Equal(new DateTimeOffset(2026, 11, 30, 23, 0, 0, TimeSpan.Zero), dayStart);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 23, 0, 0, TimeSpan.Zero), dayEnd);
        Assert.Equal(new DateTimeOffset(2026, 11, 29, 23, 0, 0, TimeSpan.Zero), weekStart); // Monday 30 November, Berlin midnight
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 23, 0, 0, TimeSpan.Zero), monthStart);
        Assert.Equal(new DateTimeOffset(2026, 12, 31, 23, 0, 0, TimeSpan.Zero), monthEnd);
    }

    [Fact]
    public void The_projection_extends_the_period_so_far_to_its_end()
    {
        var rule = new BudgetRule(1, "Test", BudgetScope.Global, null, BudgetPeriod.Daily, 1_000, [], null);
        var start = new DateTimeOffset(2026, 11, 18, 0, 0, 0, TimeSpan.Zero);
        var state = new BudgetState(rule, start, start.AddDays(1), 300, 0, 0);

        Assert.Equal(1_200, state.ProjectedNanoUsd(start.AddHours(6)));
    }

    [Fact]
    public void Requests_in_flight_together_can_pass_the_limit_by_no_more_than_the_overrun_bound_even_at_their_worst()
    {
        // Each request is expected to cost 100 but could cost 400; the limit is 1,000 and the bound 100.
        var counter = Counter();
        var admitted = new List<long>();
        for (var id = 1; id <= 10; id++)
        {
            if (counter.TryReserve(id, 100, 400, 100, Now, Now.AddMinutes(10), Utc, out _) is null)
            {
                admitted.Add(id);
            }
        }

        var refusal = counter.TryReserve(11, 100, 400, 100, Now, Now.AddMinutes(10), Utc, out _);
        Assert.Equal(2, admitted.Count);
        Assert.NotNull(refusal);
        Assert.Contains("overrun bound", refusal.Reason, StringComparison.Ordinal);
        Assert.Equal(0, refusal.NeededNanoUsd);

        foreach (var id in admitted)
        {
            counter.Settle(id, 400, Now, Utc);
        }

        Assert.InRange(counter.Read(Now, Utc).SpentNanoUsd, 0, 1_000 + 100);
    }

    [Fact]
    public void A_request_that_costs_what_it_was_expected_to_leaves_less_than_one_request_of_the_budget()
    {
        var counter = Counter();
        var id = 0;
        BudgetRefusal? refusal;
        while ((refusal = counter.TryReserve(++id, 90, 90, 100, Now, Now.AddMinutes(10), Utc, out _)) is null)
        {
            counter.Settle(id, 90, Now, Utc);
        }

        counter.Refused(refusal);
        var state = counter.Read(Now, Utc);
        Assert.Equal(990, state.SpentNanoUsd);
        Assert.True(state.IsExhausted);
    }

    [Fact]
    public void A_step_replaces_the_request_reservation_and_a_refused_step_leaves_it_as_it_was()
    {
        var counter = Counter();
        Assert.Null(counter.TryReserve(1, 300, 300, 0, Now, Now.AddMinutes(10), Utc, out _));

        // The first attempt cost 250; the step up is expected to cost 600 more.
        Assert.Null(counter.TryReserve(1, 850, 850, 0, Now, Now.AddMinutes(10), Utc, out _));
        Assert.Equal(850, counter.Read(Now, Utc).ReservedNanoUsd);
        Assert.NotNull(counter.TryReserve(1, 1_100, 1_100, 0, Now, Now.AddMinutes(10), Utc, out _));
        Assert.Equal(850, counter.Read(Now, Utc).ReservedNanoUsd);
    }

    [Fact]
    public void The_last_hour_of_spend_says_how_long_the_budget_lasts()
    {
        var counter = Counter(limit: 10_000);
        counter.TryReserve(1, 1_000, 1_000, 0, Now.AddMinutes(-90), Now, Utc, out _);
        counter.Settle(1, 1_000, Now.AddMinutes(-90), Utc);
        counter.TryReserve(2, 2_000, 2_000, 0, Now.AddMinutes(-30), Now, Utc, out _);
        counter.Settle(2, 2_000, Now.AddMinutes(-30), Utc);

        var state = counter.Read(Now, Utc);

        // 2,000 in the last hour, 7,000 left: three and a half hours more, well within the day.
        Assert.Equal(2_000, state.SpentLastHourNanoUsd);
        Assert.Equal(Now.AddHours(3.5), state.LastsUntil(Now));
        Assert.Equal(state.PeriodEnd, counter.Read(Now.AddMinutes(29), Utc).LastsUntil(Now.AddHours(8)));
    }
}
