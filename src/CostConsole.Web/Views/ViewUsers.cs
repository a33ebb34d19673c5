using System.Security.Claims;
using CostConsole.Web.Access;

namespace CostConsole.Web.Views;

internal static class ViewUsers
{
    /// <summary>The signed-in user as saved views know them: their name and console role.</summary>
    public static ViewUser Of(ClaimsPrincipal user) => new(user.Identity?.Name ?? "", Roles.All.FirstOrDefault(user.IsInRole));
}
