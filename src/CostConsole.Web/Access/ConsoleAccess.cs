using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;

namespace CostConsole.Web.Access;

/// <summary>
/// The signed-in user of a console circuit. Every action that changes something asks it first, so a control
/// hidden in the page is also refused on the server.
/// </summary>
public sealed class ConsoleAccess(AuthenticationStateProvider authentication, IAuthorizationService authorization)
{
    public async Task<bool> CanAsync(string policy)
    {
        var state = await authentication.GetAuthenticationStateAsync();
        return (await authorization.AuthorizeAsync(state.User, policy)).Succeeded;
    }

    /// <summary>The signed-in user's name.</summary>
    public async Task<string> NameAsync() => (await authentication.GetAuthenticationStateAsync()).User.Identity?.Name ?? "console";

    /// <summary>The user's name, to record as the author of a change that <paramref name="policy"/> allows.</summary>
    /// <exception cref="UnauthorizedAccessException">The user's role does not allow it.</exception>
    public async Task<string> ActorAsync(string policy)
    {
        var state = await authentication.GetAuthenticationStateAsync();
        if (!(await authorization.AuthorizeAsync(state.User, policy)).Succeeded)
        {
            throw new UnauthorizedAccessException("Your role does not allow this change.");
        }

        return state.User.Identity?.Name ?? "console";
    }
}
