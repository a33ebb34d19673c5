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

        Assert.True(counter.TryReserve(1, 600, Now, Now.AddMinutes(10), Utc, out _));
        Assert.False(counter.TryReserve(2, 500, Now, Now.AddMinutes(10), Utc, out var alert));
        Assert.True(alert);
        Assert.True(counter.TryReserve(3, 400, Now, Now.AddMinutes(10), Utc, out _));
    }

    [Fact]
    public void Settling_replaces_the_reservation_with_the_real_cost_and_reports_thresholds_once()
    {
        var counter = Counter();
        counter.TryReserve(1, 700, Now, Now.AddMinutes(10), Utc, out _);

        Assert.Equal([50], counter.Settle(1, 550, Now, Utc));
        counter.TryReserve(2, 100, Now, Now.AddMinutes(10), Utc, out _);
        Assert.Empty(counter.Settle(2, 10, Now, Utc));

        var state = counter.Read(Now, Utc);
        Assert.Equal(560, state.SpentNanoUsd);
        Assert.Equal(0, state.ReservedNanoUsd);
    }

    [Fact]
    public void The_reservation_of_a_request_that_never_settles_expires()
    {
        var counter = Counter();
        counter.TryReserve(1, 900, Now, Now.AddMinutes(10), Utc, out _);
        Assert.False(counter.TryReserve(2, 200, Now, Now.AddMinutes(10), Utc, out _));

        Assert.Equal(0, counter.Expire(Now.AddMinutes(9)));
        Assert.Equal(1, counter.Expire(Now.AddMinutes(10)));

        Assert.Equal(0, counter.Read(Now.AddMinutes(10), Utc).ReservedNanoUsd);
        Assert.True(counter.TryReserve(3, 200, Now.AddMinutes(10), Now.AddMinutes(20), Utc, out _));
    }

    [Fact]
    public void A_released_reservation_spends_nothing()
    {
        var counter = Counter();
        counter.TryReserve(1, 900, Now, Now.AddMinutes(10), Utc, out _);

        counter.Release(1);

        var state = counter.Read(Now, Utc);
        Assert.Equal(0, state.SpentNanoUsd);
        Assert.Equal(0, state.ReservedNanoUsd);
    }

    [Fact]
    public void A_new_period_starts_from_nothing()
    {
        var counter = Counter();
        counter.TryReserve(1, 900, Now, Now.AddMinutes(10), Utc, out _);
        counter.Settle(1, 900, Now, Utc);

        var tomorrow = Now.AddDays(1);
        Assert.True(counter.TryReserve(2, 900, tomorrow, tomorrow.AddMinutes(10), Utc, out _));
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
}
