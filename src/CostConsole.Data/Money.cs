namespace CostConsole.Data;

/// <summary>USD amounts as stored: whole nano-dollars.</summary>
public static class Money
{
    private const decimal NanosPerDollar = 1_000_000_000m;

    public static long ToNanoUsd(decimal usd) => (long)decimal.Round(usd * NanosPerDollar, MidpointRounding.AwayFromZero);

    public static decimal FromNanoUsd(long nanos) => nanos / NanosPerDollar;
}
