using Microsoft.AspNetCore.Components;

namespace CostConsole.Web.Components.Layout;

/// <summary>
/// A page that reads its filters from the address (<see cref="SupplyParameterFromQueryAttribute"/>) and is told again
/// when only the query changes. That second call comes while the framework walks its list of query-bound pages. A page that
/// rendered right there could also draw a navigation the circuit held back (the browser had not yet acknowledged earlier
/// frames); that render disposes or creates query-bound pages in the list being walked, and the circuit fails the
/// navigation ("Collection was modified"). So a page applies a changed address one dispatcher turn later, after that walk.
/// Its first parameters, when it is created, are applied at once, as for any component.
/// </summary>
public abstract class AddressBoundPage : ComponentBase
{
    private bool _created;

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
        await base.SetParametersAsync(ParameterView.Empty);
    }
}
