using System.Diagnostics;
using System.Text;
using CostConsole.Data.Ledger;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Requests;
using CostConsole.Web.Playground;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor;

namespace CostConsole.Web.Components.Pages;

/// <summary>
/// The playground: compose a conversation, send it through the router as a client would, and read the answer
/// beside the trace of what the router did; or ask every tier at once and compare.
/// </summary>
public sealed partial class Playground : IDisposable
{
    /// <summary>A streamed answer repaints at most this often, however fast the pieces arrive.</summary>
    private static readonly TimeSpan RenderInterval = TimeSpan.FromMilliseconds(50);

    private readonly string _conversationId = "playground_" + Guid.CreateVersion7().ToString("N");
    private readonly StringBuilder _answer = new();
    private PlaygroundForm _form = new();
    private IReadOnlyList<string> _tiers = [];
    private IReadOnlyList<string> _models = [];
    private List<string> _problems = [];
    private PlaygroundResult? _result;
    private IReadOnlyList<CompareResult>? _compare;
    private string? _cheapestPassing;
    private string? _expectedTier;
    private string? _note;
    private bool _running;
    private bool _streaming;
    private int _tab;
    private long _lastRender;
    private CancellationTokenSource? _cancel;

    [Inject]
    private PlaygroundRunner Runner { get; set; } = null!;

    [Inject]
    private LabelledExamples Examples { get; set; } = null!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = null!;

    [Inject]
    private CostConsole.Web.Access.ConsoleAccess Access { get; set; } = null!;

    private string AnswerText
    {
        get
        {
            lock (_answer)
            {
                return _answer.ToString();
            }
        }
    }

    private string OptionsTitle
    {
        get
        {
            var parts = new List<string>();
            if (!string.IsNullOrWhiteSpace(_form.Tags))
            {
                parts.Add("tags");
            }

            if (_form.Metadata.Count > 0)
            {
                parts.Add($"{_form.Metadata.Count} metadata");
            }

            if (!string.IsNullOrWhiteSpace(_form.Tools))
            {
                parts.Add("tools");
            }

            return "Tags, metadata and tools" + (parts.Count == 0 ? "" : $" ({string.Join(", ", parts)})");
        }
    }

    protected override void OnInitialized()
    {
        var snapshot = Runner.Snapshot;
        _tiers = snapshot.Tiers;

        // A model id routes as it is when one provider serves it; otherwise provider/id does. Embeddings models cannot chat.
        _models = [.. snapshot.Models.Where(m => m.Model.Kind == CostConsole.Routing.Catalogue.ModelKind.Chat).Select(m => snapshot.FindModel(m.Model.Id)?.Key == m.Key ? m.Model.Id : m.Key).Distinct()];
    }

    private static string Placeholder(string role) => role switch
    {
        "system" => "Instructions for the model",
        "assistant" => "An earlier answer",
        _ => "What the customer asks, e.g. Where is my order #1234?",
    };

    private void AddTurn(string role) => _form.Turns.Add(new TurnForm { Role = role });

    private async Task OnKeyDownAsync(KeyboardEventArgs e)
    {
        if (e is { CtrlKey: true, Key: "Enter" } && !_running)
        {
            await SendAsync();
        }
    }

    /// <summary>Checks the form; false (and the reasons shown) when it cannot be sent.</summary>
    private bool Validate()
    {
        var result = new PlaygroundFormValidator([.. _tiers, .. _models]).Validate(_form);
        _problems = [.. result.Errors.Select(e => e.ErrorMessage).Distinct()];
        return result.IsValid;
    }

    private async Task SendAsync()
    {
        if (_running || !Validate())
        {
            return;
        }

        _tab = 0;
        _result = null;
        lock (_answer)
        {
            _answer.Clear();
        }

        _running = true;
        _streaming = true;
        _cancel = new CancellationTokenSource();
        try
        {
            _result = await Runner.RunAsync(_form, _conversationId, OnDelta, _cancel.Token);
            if (!_result.Streamed)
            {
                lock (_answer)
                {
                    _answer.Append(_result.Answer);
                }
            }

            _expectedTier = _result.Outcome.Model?.Tier ?? _result.Outcome.Decision?.Tier ?? _expectedTier;
        }
        catch (ChatRequestException ex)
        {
            _problems = [ex.Message];
        }
        catch (LedgerUnavailableException)
        {
            _problems = ["The ledger cannot be written right now, so the request was not sent. Try again in a moment."];
        }
        finally
        {
            _running = false;
            _streaming = false;
            _cancel.Dispose();
            _cancel = null;
        }
    }

    private void OnDelta(string piece)
    {
        lock (_answer)
        {
            _answer.Append(piece);
        }

        var now = Stopwatch.GetTimestamp();
        var last = Interlocked.Read(ref _lastRender);
        if (Stopwatch.GetElapsedTime(last, now) >= RenderInterval && Interlocked.CompareExchange(ref _lastRender, now, last) == last)
        {
            _ = InvokeAsync(StateHasChanged);
        }
    }

    private async Task CompareAsync()
    {
        if (_running || !Validate())
        {
            return;
        }

        _tab = 1;
        _compare = null;
        _cheapestPassing = null;
        _running = true;
        _cancel = new CancellationTokenSource();
        try
        {
            var results = await Runner.CompareAsync(_form, _conversationId, _cancel.Token);
            _compare = results;
            _cheapestPassing = Cheapest(results);
        }
        catch (LedgerUnavailableException)
        {
            _problems = ["The ledger cannot be written right now, so the tiers were not asked. Try again in a moment."];
        }
        finally
        {
            _running = false;
            _cancel.Dispose();
            _cancel = null;
        }
    }

    /// <summary>The cheapest tier that answered without failing a gate or escalating.</summary>
    internal static string? Cheapest(IReadOnlyList<CompareResult> results) => results
        .Where(r => r.Result is { Outcome: { IsSuccess: true, Escalations: 0, Review: not ReviewState.Open } o } && o.Attempts.All(a => a.PassedGates))
        .OrderBy(r => r.Result!.Outcome.Cost)
        .Select(r => r.Tier)
        .FirstOrDefault();

    private void Cancel() => _cancel?.Cancel();

    private async Task SaveExampleAsync()
    {
        if (_expectedTier is null)
        {
            return;
        }

        try
        {
            var saved = await Examples.SaveAsync(_form.LastUserMessage, _expectedTier, _note, await Access.ActorAsync(CostConsole.Web.Access.Policies.UsePlayground));
            Snackbar.Add(saved == LabelledSaveResult.Added ? $"Saved to the labelled set, expecting {_expectedTier}." : $"This prompt was already saved; it now expects {_expectedTier}.", Severity.Success);
        }
        catch (Exception ex) when (ex is CostConsole.Routing.Evaluation.LabelledSetException or UnauthorizedAccessException)
        {
            Snackbar.Add(ex.Message, Severity.Error);
        }
    }

    public void Dispose()
    {
        _cancel?.Cancel();
    }
}
