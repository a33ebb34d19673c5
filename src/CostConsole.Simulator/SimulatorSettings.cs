using System.Collections.Frozen;

namespace CostConsole.Simulator;

/// <summary>
/// The simulator's live settings. Starts from configuration and can be changed while the app runs,
/// e.g. to turn on fault injection from a settings page; readers never lock.
/// </summary>
public sealed class SimulatorSettings
{
    private readonly Lock _writeLock = new();
    private volatile Snapshot _snapshot;
    private double _latencyScale;
    private double _arithmeticSlipRate;

    internal SimulatorSettings(SimulatorOptions options)
    {
        Seed = options.Seed;
        LatencyScale = options.LatencyScale;
        ArithmeticSlipRate = options.ArithmeticSlipRate;
        _snapshot = new Snapshot(options.Models.Count == 0 ? SimulatorOptions.DefaultModels : options.Models);
    }

    /// <summary>Seeds every random choice, so the same sequence of requests gets the same answers.</summary>
    public int Seed { get; }

    /// <summary>Multiplies every simulated delay; 0 answers instantly (tests, benchmarks).</summary>
    public double LatencyScale
    {
        get => Volatile.Read(ref _latencyScale);
        set
        {
            if (!(value >= 0) || double.IsInfinity(value))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "LatencyScale must be zero (answer instantly) or a positive number.");
            }

            Volatile.Write(ref _latencyScale, value);
        }
    }

    /// <summary>How often the weakest model's worked totals are wrong (0..1); can be changed while running, e.g. by tests.</summary>
    public double ArithmeticSlipRate
    {
        get => Volatile.Read(ref _arithmeticSlipRate);
        set
        {
            if (!(value is >= 0 and <= 1))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "ArithmeticSlipRate must be between 0 and 1.");
            }

            Volatile.Write(ref _arithmeticSlipRate, value);
        }
    }

    public IReadOnlyList<SimulatedModelProfile> Models => _snapshot.Models;

    public SimulatedModelProfile? Find(string modelId) => _snapshot.ById.GetValueOrDefault(modelId);

    /// <summary>Replaces the profile with the same id, or adds it; requests already running keep the profile they started with.</summary>
    public void Update(SimulatedModelProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var problems = profile.Problems().ToList();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(profile));
        }

        lock (_writeLock)
        {
            var models = _snapshot.Models.ToList();
            var index = models.FindIndex(existing => string.Equals(existing.Id, profile.Id, StringComparison.Ordinal));
            if (index >= 0)
            {
                models[index] = profile;
            }
            else
            {
                models.Add(profile);
            }

            _snapshot = new Snapshot(models);
        }
    }

    private sealed class Snapshot
    {
        public Snapshot(IEnumerable<SimulatedModelProfile> models)
        {
            Models = Array.AsReadOnly(models.ToArray());
            ById = Models.ToFrozenDictionary(model => model.Id, StringComparer.Ordinal);
        }

        public IReadOnlyList<SimulatedModelProfile> Models { get; }

        public FrozenDictionary<string, SimulatedModelProfile> ById { get; }
    }
}
