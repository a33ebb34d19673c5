using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using CostConsole.Routing.Privacy;

namespace CostConsole.Benchmarks.Privacy;

/// <summary>
/// The personal-data scan of one 2,000-character prompt: the built-in detectors and one admin pattern, on a prompt
/// full of personal data and on one with only look-alikes (dates, prices, versions, order numbers). Target: under
/// 50 µs per prompt at p99; <see cref="PersonalDataLatency"/> times single calls for the true per-call tail.
/// </summary>
[MemoryDiagnoser]
[InProcess]
[Config(typeof(Percentiles))]
public class PersonalDataBenchmarks
{
    private PersonalDataDetector _detector = null!;

    [GlobalSetup]
    public void Setup() => _detector = PersonalDataPrompts.Detector();

    [Benchmark]
    public PersonalDataFindings WithPersonalData() => _detector.Scan(PersonalDataPrompts.WithPersonalData);

    [Benchmark]
    public PersonalDataFindings WithoutPersonalData() => _detector.Scan(PersonalDataPrompts.WithoutPersonalData);

    private sealed class Percentiles : ManualConfig
    {
        public Percentiles() => AddColumn(new PercentileColumn(99));
    }
}
