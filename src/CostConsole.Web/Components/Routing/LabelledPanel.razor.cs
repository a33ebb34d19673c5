using CostConsole.Routing.Decisions;
using CostConsole.Routing.Evaluation;
using CostConsole.Routing.Rules;
using CostConsole.Web.Routing;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;

namespace CostConsole.Web.Components.Routing;

public sealed partial class LabelledPanel : IDisposable
{
    private const long MaxUploadBytes = 10 * 1024 * 1024;

    private string _text = "";
    private bool _busy;
    private string? _error;
    private int _done;
    private int _total;
    private CancellationTokenSource? _cancel;
    private LabelledComparison? _result;
    private int _saved;
    private int _skipped;
    private bool _showSaved;

    [Inject]
    private RoutingLab Lab { get; set; } = null!;

    [Inject]
    private CostConsole.Web.Playground.LabelledExamples Examples { get; set; } = null!;

    [Parameter, EditorRequired]
    public RuleSetDefinition Definition { get; set; } = null!;

    [Parameter, EditorRequired]
    public IReadOnlyList<string> Tiers { get; set; } = [];

    private async Task UploadAsync(IBrowserFile? file)
    {
        if (file is null)
        {
            return;
        }

        var (text, error) = await BrowserFiles.ReadTextAsync(file, MaxUploadBytes);
        _text = text ?? _text;
        _error = error;
    }

    protected override async Task OnInitializedAsync() => _saved = await Examples.CountAsync();

    private async Task RunAsync()
    {
        _error = null;
        _result = null;
        _skipped = 0;
        IReadOnlyList<LabelledPrompt> prompts;
        try
        {
            prompts = LabelledSetReader.Parse(_text, Tiers);
        }
        catch (LabelledSetException ex)
        {
            _error = ex.Message;
            return;
        }

        await CheckAsync(prompts);
    }

    /// <summary>Runs the check on the examples saved from the playground.</summary>
    private async Task RunSavedAsync()
    {
        _error = null;
        _result = null;
        var (prompts, skipped) = await Examples.ForCheckAsync(Tiers);
        _saved = prompts.Count + skipped;
        _skipped = skipped;
        if (prompts.Count == 0)
        {
            _error = skipped == 0
                ? "No saved examples yet: save prompts with their expected tier from the playground."
                : $"None of the {skipped} saved examples expects a tier that still exists.";
            return;
        }

        await CheckAsync(prompts);
    }

    private async Task SavedChangedAsync() => _saved = await Examples.CountAsync();

    private async Task CheckAsync(IReadOnlyList<LabelledPrompt> prompts)
    {
        _busy = true;
        _total = prompts.Count;
        _done = 0;
        _cancel = new CancellationTokenSource();
        var progress = new Progress<int>(done =>
        {
            _done = done;
            _ = InvokeAsync(StateHasChanged);
        });
        try
        {
            _result = await Task.Run(() => Lab.CheckAsync(Definition, prompts, progress, _cancel.Token));
        }
        catch (OperationCanceledException)
        {
            _error = "Cancelled.";
        }
        catch (RoutingConfigException ex)
        {
            _error = "The draft does not compile: " + string.Join(" ", ex.Errors);
        }
        finally
        {
            _busy = false;
            _cancel.Dispose();
            _cancel = null;
        }
    }

    public void Dispose() => _cancel?.Cancel();

    private static string Percent(double? value) => value is { } v ? v.ToString("P0") : "—";

    internal static string Excerpt(string text) => text.Length <= 120 ? text : text[..117] + "…";
}
