using CostConsole.Data.Entities;

namespace CostConsole.Web.Budgets;

/// <summary>Calendar periods in the configured time zone: a day from midnight, a week from Monday, a month from the 1st.</summary>
public static class BudgetPeriods
{
    public static (DateTimeOffset Start, DateTimeOffset End) Containing(BudgetPeriod period, DateTimeOffset at, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(at, zone).DateTime;
        var startDay = period switch
        {
            BudgetPeriod.Daily => local.Date,
            BudgetPeriod.Weekly => local.Date.AddDays(-(((int)local.DayOfWeek + 6) % 7)),
            _ => new DateTime(local.Year, local.Month, 1),
        };
        var endDay = period switch
        {
            BudgetPeriod.Daily => startDay.AddDays(1),
            BudgetPeriod.Weekly => startDay.AddDays(7),
            _ => startDay.AddMonths(1),
        };
        return (ToUtc(startDay, zone), ToUtc(endDay, zone));
    }

    /// <summary>A local midnight as UTC; a midnight skipped by a clock change moves to the first valid time after it.</summary>
    private static DateTimeOffset ToUtc(DateTime local, TimeZoneInfo zone)
    {
        var unspecified = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(unspecified))
        {
            unspecified = unspecified.AddMinutes(30);
        }

        return new DateTimeOffset(unspecified, zone.GetUtcOffset(unspecified)).ToUniversalTime();
    }
}
