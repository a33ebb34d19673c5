using System.Globalization;
using CostConsole.Web.Access;
using CostConsole.Web.Batches;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.Options;
using MudBlazor;

namespace CostConsole.Web.Components.Pages;

public sealed partial class Batches : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private IReadOnlyList<BatchView>? _batches;
    private BatchSpend? _spend;
    private string? _error;
    private bool _busy;
    private MudFileUpload<IBrowserFile>? _upload;

    [Inject]
    private BatchService Service { get; set; } = null!;

    [Inject]
    private IOptions<BatchOptions> Options { get; set; } = null!;

    [Inject]
    private ConsoleAccess Access { get; set; } = null!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = null!;

    protected override async Task OnInitializedAsync()
    {
        await LoadAsync();
        _ = RefreshAsync();
    }

    [Inject]
    private TimeProvider Time { get; set; } = null!;

    private async Task LoadAsync()
    {
        _batches = (await Service.ListAsync(null, null, 100, _stop.Token)).Batches;
        _spend = await Service.SpendSinceAsync(Time.GetUtcNow().AddDays(-30), _stop.Token);
    }

    /// <summary>Follows the batches while any is still running, so progress moves without a reload.</summary>
    private async Task RefreshAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                // Read and swapped on the renderer's context, like the handlers' own reloads: never while a render
                // or a click handler is using the list.
                await InvokeAsync(async () =>
                {
                    if (_batches is not null && _batches.Any(b => BatchStatus.IsOpen(b.Batch.Status)))
                    {
                        await LoadAsync();
                        StateHasChanged();
                    }
                });
            }
        }
        catch (OperationCanceledException)
        {
            // The page was left.
        }
    }

    private async Task UploadAsync(IBrowserFile? file)
    {
        if (file is null)
        {
            return;
        }

        _error = null;
        _busy = true;
        try
        {
            var max = Service.MaxFileBytes;
            if (file.Size > max)
            {
                _error = Service.TooLarge(file.Size).Message;
                return;
            }

            using var buffer = new MemoryStream();
            await using (var stream = file.OpenReadStream(max, _stop.Token))
            {
                await stream.CopyToAsync(buffer, _stop.Token);
            }

            var (stored, refused) = await Service.UploadAsync(null, file.Name, FilePurposes.Batch, buffer.ToArray(), _stop.Token);
            if (refused is not null)
            {
                _error = refused.Message;
                return;
            }

            var (batch, notStarted) = await Service.CreateAsync(null, stored!.Id, CostConsole.Routing.Protocols.Batches.BatchInputFile.ChatCompletionsUrl, BatchService.CompletionWindow, null, await Access.NameAsync(), _stop.Token);
            if (notStarted is not null)
            {
                _error = notStarted.Message;
                return;
            }

            Snackbar.Add($"Batch of {batch!.Batch.Total:N0} requests started from {file.Name}.", Severity.Success);
            await LoadAsync();
        }
        finally
        {
            _busy = false;

            // The file is stored or refused: it is not left looking selected.
            if (_upload is not null)
            {
                await _upload.ClearAsync();
            }
        }
    }

    private async Task CancelAsync(string id)
    {
        var (_, error) = await Service.CancelAsync(id, null, _stop.Token);
        if (error is not null)
        {
            _error = error.Message;
        }

        await LoadAsync();
    }

    private static string FileUrl(string fileId) => "/batches/files/" + Uri.EscapeDataString(fileId);

    private static string Short(string id) => id.Length > 18 ? id[..18] + "…" : id;

    private static string Usd(decimal usd) => "$" + usd.ToString(usd < 0.01m ? "0.000000" : "0.0000", CultureInfo.InvariantCulture);

    private static string Saved(BatchView view) => (1m - view.Cost / view.InteractiveCost).ToString("P0", CultureInfo.InvariantCulture);

    private static Color StatusColor(string status) => status switch
    {
        BatchStatus.Completed => Color.Success,
        BatchStatus.Failed or BatchStatus.Expired => Color.Error,
        BatchStatus.Cancelling or BatchStatus.Cancelled => Color.Warning,
        _ => Color.Info,
    };

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }
}
