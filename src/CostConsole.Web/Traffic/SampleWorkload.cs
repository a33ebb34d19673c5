using System.Text.Json;

namespace CostConsole.Web.Traffic;

/// <summary>One prompt of the sample workload; <see cref="Weight"/> sets how often it is drawn.</summary>
public sealed record WorkloadPrompt(string Category, double Weight, string Prompt);

/// <summary>A caller of the sample workload: its requests use their own API key and draw from these categories.</summary>
public sealed record WorkloadKey(string Name, IReadOnlyList<string> Categories);

/// <summary>A prompt drawn for one request, with the key that sends it.</summary>
public readonly record struct WorkloadDraw(WorkloadKey Key, WorkloadPrompt Prompt);

/// <summary>
/// The shipped CRM workload (<c>Traffic/sample-crm-workload.json</c>): FAQ and order status, account questions,
/// e-mail drafting, multi-step analyses, drawn by weight, each category sent by the key that would send it.
/// </summary>
public sealed class SampleWorkload
{
    private readonly WorkloadPrompt[] _prompts;
    private readonly double[] _cumulative;

    private SampleWorkload(string name, string description, IReadOnlyList<WorkloadKey> keys, WorkloadPrompt[] prompts)
    {
        Name = name;
        Description = description;
        Keys = keys;
        _prompts = prompts;
        _cumulative = new double[prompts.Length];
        var sum = 0.0;
        for (var i = 0; i < prompts.Length; i++)
        {
            sum += prompts[i].Weight;
            _cumulative[i] = sum;
        }
    }

    public string Name { get; }

    public string Description { get; }

    public IReadOnlyList<WorkloadKey> Keys { get; }

    public IReadOnlyList<WorkloadPrompt> Prompts => _prompts;

    public static SampleWorkload Load()
    {
        using var stream = typeof(SampleWorkload).Assembly.GetManifestResourceStream("CostConsole.Web.SampleWorkload.json")
            ?? throw new InvalidOperationException("The sample workload is missing from the assembly.");
        return Parse(stream);
    }

    public static SampleWorkload Parse(Stream json)
    {
        var file = JsonSerializer.Deserialize<WorkloadFile>(json, new JsonSerializerOptions(JsonSerializerDefaults.Web))
            ?? throw new InvalidDataException("The workload file is empty.");
        if (file.Prompts is not { Count: > 0 } prompts || file.Keys is not { Count: > 0 } keys)
        {
            throw new InvalidDataException("A workload needs prompts and keys.");
        }

        var uncovered = prompts.Select(p => p.Category).Distinct().Where(c => !keys.Any(k => k.Categories.Contains(c))).ToList();
        if (uncovered.Count > 0 || prompts.Any(p => p.Weight <= 0 || string.IsNullOrWhiteSpace(p.Prompt)))
        {
            throw new InvalidDataException($"Every prompt needs text, a positive weight and a key that sends its category (uncovered: {string.Join(", ", uncovered)}).");
        }

        return new SampleWorkload(file.Name ?? "workload", file.Description ?? "", keys, [.. prompts]);
    }

    public WorkloadDraw Draw(Random random)
    {
        var x = random.NextDouble() * _cumulative[^1];
        var index = Array.BinarySearch(_cumulative, x);
        var prompt = _prompts[index < 0 ? Math.Min(~index, _prompts.Length - 1) : index];
        var key = Keys.First(k => k.Categories.Contains(prompt.Category));
        return new WorkloadDraw(key, prompt);
    }

    private sealed record WorkloadFile(string? Name, string? Description, List<WorkloadKey>? Keys, List<WorkloadPrompt>? Prompts);
}
