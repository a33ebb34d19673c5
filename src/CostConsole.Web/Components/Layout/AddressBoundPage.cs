using Microsoft.AspNetCore.Components;

namespace CostConsole.Web.Components.Layout;

/// <summary>
/// A page that reads its filters from the address (<see cref="SupplyParameterFromQueryAttribute"/>) and is told again
/// when only the query changes. That second call comes while the framework walks its list of query-bound pages. A page that
/// rendered right there could also draw a navigation the circuit held back (the browser had not yet acknowledged earlier
/// frames); that render disposes or creates query-bound pages in the list being walked, and the circuit fails the
/// navigation ("Collection was modified"). So a page applies a changed address one dispatcher turn later, after that walk.
/// Its first parameters, when it is created, are applied at once, as for any component; a page that has left by the time
/// a changed address would be applied does not apply it.
/// </summary>
public abstract class AddressBoundPage : ComponentBase, IDisposable
{
    private bool _created;
    private bool _disposed;

    public override Task SetParametersAsync(ParameterView parameters)
    {
        if (!_created)
        {
            _created = true;
            return base.SetParametersAsync(parameters);
        }

        // The values are read now: the parameter view may not outlive this call.
        parameters.SetParameterProperties(this);
        return ApplyLaterAsync();
    }

    private async Task ApplyLaterAsync()
    {
        await Task.Yield();
        if (!_disposed)
        {
            await base.SetParametersAsync(ParameterView.Empty);
        }
    }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Called once when the page leaves; a page that holds resources releases them here.</summary>
    protected virtual void Dispose(bool disposing) => _disposed = true;
}
