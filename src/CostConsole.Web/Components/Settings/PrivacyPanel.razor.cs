using CostConsole.Data.Catalogue;
using CostConsole.Routing.Privacy;
using CostConsole.Web.Access;
using CostConsole.Web.Privacy;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;

namespace CostConsole.Web.Components.Settings;

/// <summary>What is stored of prompts and until when, and the erasure of one person's, key's or conversation's data.</summary>
public sealed partial class PrivacyPanel
{
    private ErasureSubject _subject = ErasureSubject.User;
    private string _value = "";
    private string? _message;
    private bool _erased;
    private bool _busy;
    private DateTimeOffset? _oldest;

    [Inject]
    private PromptRetention Retention { get; set; } = null!;

    [Inject]
    private Erasure Erasure { get; set; } = null!;

    [Inject]
    private ConsoleAccess Access { get; set; } = null!;

    [Inject]
    private IOptions<CostConsoleOptions> Options { get; set; } = null!;

    private string DefaultStorage => PromptStorageNames.Of(Options.Value.Privacy.For(null, Options.Value.StorePrompts));

    protected override async Task OnInitializedAsync() => _oldest = await Retention.OldestStoredAsync();

    private async Task EraseAsync()
    {
        if (Erasure.Check(_subject, _value) is { } problem)
        {
            (_message, _erased) = (problem, false);
            return;
        }

        _busy = true;
        try
        {
            var result = await Erasure.EraseAsync(_subject, _value, await Access.ActorAsync(Policies.ManageSettings));
            (_message, _erased) = ("Erased: " + result.Summary + ". Recorded in the audit log.", true);
            _oldest = await Retention.OldestStoredAsync();
        }
        finally
        {
            _busy = false;
        }
    }
}
