using CostConsole.Web.Keys;
using FluentValidation;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Access;

/// <summary>A console user as the users page lists them.</summary>
public sealed record UserView(string Id, string Email, string Role, bool Disabled, bool LockedOut, DateTimeOffset? LockoutEnd);

/// <summary>A new console user.</summary>
public sealed class UserForm
{
    public string Email { get; set; } = "";

    public string Role { get; set; } = Roles.FinOps;

    public string Password { get; set; } = "";
}

public sealed class UserFormValidator : AbstractValidator<UserForm>
{
    public UserFormValidator()
    {
        RuleFor(u => u.Email)
            .NotEmpty().WithMessage("Enter the person's email address; they sign in with it.")
            .EmailAddress().WithMessage("That is not an email address.")
            .MaximumLength(256).WithMessage("Keep the email under 256 characters.");
        RuleFor(u => u.Role)
            .Must(r => Roles.All.Contains(r)).WithMessage("Choose Admin, FinOps or Support lead.");
        RuleFor(u => u.Password)
            .NotEmpty().WithMessage("Set a first password and pass it on to the person.")
            .MinimumLength(10).WithMessage("Use at least 10 characters.");
    }
}

/// <summary>Console users: the first admin, creating users with a role, changing roles, disabling.</summary>
public sealed class UserService(UserManager<IdentityUser> users, RoleManager<IdentityRole> roles, CostConsole.Data.CostConsoleDbContext db, ILogger<UserService> logger)
{
    /// <summary>What a first-admin attempt is told once someone else has set the console up.</summary>
    public const string AlreadySetUp = "CostConsole is already set up: someone created the first admin. Sign in instead.";

    /// <summary>A disabled user is locked out until this date.</summary>
    private static readonly DateTimeOffset Disabled = new(9999, 12, 31, 0, 0, 0, TimeSpan.Zero);

    public async Task<bool> AnyUserAsync() => await users.Users.AnyAsync();

    public async Task EnsureRolesAndFirstAdminAsync(AdminOptions admin)
    {
        foreach (var role in Roles.All)
        {
            if (!await roles.RoleExistsAsync(role))
            {
                await roles.CreateAsync(new IdentityRole(role));
            }
        }

        if (string.IsNullOrWhiteSpace(admin.Email) || string.IsNullOrWhiteSpace(admin.Password) || await AnyUserAsync())
        {
            return;
        }

        var result = await CreateFirstAdminAsync(admin.Email, admin.Password);
        if (result.Saved)
        {
            UserLog.FirstAdminCreated(logger, admin.Email);
        }
        else if (result.Summary != AlreadySetUp)
        {
            UserLog.FirstAdminRefused(logger, admin.Email, result.Summary);
        }
    }

    /// <summary>
    /// Creates the first admin, only while no user exists. The check and the creation are one write transaction
    /// (SQLite's <c>BEGIN IMMEDIATE</c>: one writer at a time; on PostgreSQL an advisory lock taken first, so the check
    /// reads what an attempt that held it before committed), so of several first-run attempts at once, on any number
    /// of instances, exactly one succeeds and the others are told the console is already set up.
    /// </summary>
    public async Task<ChangeResult> CreateFirstAdminAsync(string email, string password)
    {
        var postgres = db.Database.IsNpgsql();
        await using var transaction = await db.Database.BeginTransactionAsync(postgres ? System.Data.IsolationLevel.ReadCommitted : System.Data.IsolationLevel.Serializable);
        if (postgres)
        {
            await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock(4846930312)");
        }

        if (await AnyUserAsync())
        {
            return ChangeResult.Invalid(nameof(UserForm.Email), AlreadySetUp);
        }

        var result = await CreateAsync(new UserForm { Email = email, Password = password, Role = Roles.Admin });
        if (result.Saved)
        {
            await transaction.CommitAsync();
        }

        return result;
    }

    public async Task<IReadOnlyList<UserView>> ListAsync()
    {
        var all = await users.Users.OrderBy(u => u.Email).ToListAsync();
        var views = new List<UserView>(all.Count);
        foreach (var user in all)
        {
            var role = (await users.GetRolesAsync(user)).FirstOrDefault() ?? "";
            var disabled = user.LockoutEnd >= Disabled;
            var locked = !disabled && user.LockoutEnd > DateTimeOffset.UtcNow;
            views.Add(new UserView(user.Id, user.Email ?? user.UserName ?? "", role, disabled, locked, user.LockoutEnd));
        }

        return views;
    }

    public async Task<ChangeResult> CreateAsync(UserForm form)
    {
        var validation = await new UserFormValidator().ValidateAsync(form);
        if (!validation.IsValid)
        {
            return ChangeResult.Invalid(validation);
        }

        var email = form.Email.Trim();
        if (await users.FindByEmailAsync(email) is not null)
        {
            return ChangeResult.Invalid(nameof(UserForm.Email), $"{email} already has an account.");
        }

        var user = new IdentityUser { UserName = email, Email = email, EmailConfirmed = true };
        var created = await users.CreateAsync(user, form.Password);
        if (!created.Succeeded)
        {
            return Failed(created);
        }

        var added = await users.AddToRoleAsync(user, form.Role);
        return added.Succeeded ? ChangeResult.Ok(0) : Failed(added);
    }

    public async Task<ChangeResult> SetRoleAsync(string userId, string role, string actorName)
    {
        if (!Roles.All.Contains(role))
        {
            return ChangeResult.Invalid("Role", "Choose Admin, FinOps or Support lead.");
        }

        var user = await users.FindByIdAsync(userId);
        if (user is null)
        {
            return ChangeResult.Invalid("Role", "This user no longer exists.");
        }

        var current = await users.GetRolesAsync(user);
        if (current.Contains(Roles.Admin) && role != Roles.Admin && await IsLastActiveAdminAsync(user))
        {
            return ChangeResult.Invalid("Role", "This is the last active admin: make someone else an admin first.");
        }

        if (user.UserName == actorName && role != Roles.Admin)
        {
            return ChangeResult.Invalid("Role", "You cannot take the admin role from yourself; ask another admin.");
        }

        await users.RemoveFromRolesAsync(user, current);
        await users.AddToRoleAsync(user, role);
        await users.UpdateSecurityStampAsync(user);
        return ChangeResult.Ok(0);
    }

    /// <summary>Disables or re-enables a user. A disabled user cannot sign in, and their session ends within a minute.</summary>
    public async Task<ChangeResult> SetDisabledAsync(string userId, bool disabled, string actorName)
    {
        var user = await users.FindByIdAsync(userId);
        if (user is null)
        {
            return ChangeResult.Invalid("Disabled", "This user no longer exists.");
        }

        if (disabled && user.UserName == actorName)
        {
            return ChangeResult.Invalid("Disabled", "You cannot disable your own account.");
        }

        if (disabled && (await users.GetRolesAsync(user)).Contains(Roles.Admin) && await IsLastActiveAdminAsync(user))
        {
            return ChangeResult.Invalid("Disabled", "This is the last active admin and cannot be disabled.");
        }

        await users.SetLockoutEnabledAsync(user, true);
        await users.SetLockoutEndDateAsync(user, disabled ? Disabled : null);
        await users.ResetAccessFailedCountAsync(user);
        await users.UpdateSecurityStampAsync(user);
        return ChangeResult.Ok(0);
    }

    private async Task<bool> IsLastActiveAdminAsync(IdentityUser user)
    {
        var admins = await users.GetUsersInRoleAsync(Roles.Admin);
        return !admins.Any(a => a.Id != user.Id && !(a.LockoutEnd >= Disabled));
    }

    private static ChangeResult Failed(IdentityResult result) =>
        new(false, new Dictionary<string, string[]> { [nameof(UserForm.Password)] = [.. result.Errors.Select(e => e.Description)] });
}

internal static partial class UserLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Created the first admin, {Email}, from configuration.")]
    public static partial void FirstAdminCreated(ILogger logger, string email);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The first admin {Email} from configuration was not created: {Reason}")]
    public static partial void FirstAdminRefused(ILogger logger, string email, string reason);
}
