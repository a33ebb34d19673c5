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

    [Inject]
    private RoutingLab Lab { get; set; } = null!;

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

    private async Task RunAsync()
    {
        _error = null;
        _result = null;
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
