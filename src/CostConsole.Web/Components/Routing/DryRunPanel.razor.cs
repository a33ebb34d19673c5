using CostConsole.Routing.Decisions;
using CostConsole.Routing.Evaluation;
using CostConsole.Routing.Rules;
using CostConsole.Web.Routing;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;

namespace CostConsole.Web.Components.Routing;

public sealed partial class DryRunPanel : IDisposable
{
    private const long MaxUploadBytes = 20 * 1024 * 1024;

    private int _last = 1000;
    private bool _busy;
    private string? _error;
    private int _done;
    private int _total;
    private CancellationTokenSource? _cancel;
    private DryRunResult? _result;

    [Inject]
    private RoutingLab Lab { get; set; } = null!;

    [Parameter, EditorRequired]
    public RuleSetDefinition Definition { get; set; } = null!;

    private Task RunLedgerAsync() => RunAsync((progress, token) => Lab.DryRunAsync(Definition, _last, progress, token));

    private async Task RunWorkloadAsync(IBrowserFile? file)
    {
        if (file is null)
        {
            return;
        }

        var (workload, error) = await BrowserFiles.ReadTextAsync(file, MaxUploadBytes);
        if (workload is null)
        {
            _error = error;
            return;
        }

        await RunAsync((progress, token) => Lab.DryRunWorkloadAsync(Definition, workload, progress, token));
    }

    private async Task RunAsync(Func<IProgress<(int Done, int Total)>, CancellationToken, Task<DryRunResult>> run)
    {
        _busy = true;
        _error = null;
        _result = null;
        _done = 0;
        _total = 0;
        _cancel = new CancellationTokenSource();
        var progress = new Progress<(int Done, int Total)>(p =>
        {
            (_done, _total) = p;
            _ = InvokeAsync(StateHasChanged);
        });
        try
        {
            _result = await Task.Run(() => run(progress, _cancel.Token));
        }
        catch (OperationCanceledException)
        {
            _error = "Cancelled before any request was re-decided.";
        }
        catch (RoutingConfigException ex)
        {
            _error = "The draft does not compile: " + string.Join(" ", ex.Errors);
        }
        catch (LabelledSetException ex)
        {
            _error = ex.Message;
        }
        finally
        {
            _busy = false;
            _cancel.Dispose();
            _cancel = null;
        }
    }

    public void Dispose() => _cancel?.Cancel();

    private static string Share(int count, int total) => total == 0 ? "—" : $"{(double)count / total:P1}";

    private static string Change(decimal before, decimal after) =>
        before == 0 ? "" : $"{(after - before) / before:+0.0%;-0.0%;±0%} with the draft";
}
