using CostConsole.Routing.Catalogue;
using FluentValidation;

namespace CostConsole.Web.Catalogue;

/// <summary>Shared by the forms (inline, as the user types) and the service (again, on the server).</summary>
public sealed class ProviderFormValidator : AbstractValidator<ProviderForm>
{
    public ProviderFormValidator()
    {
        RuleFor(p => p.Name)
            .NotEmpty().WithMessage("Give the provider a name.")
            .MaximumLength(64).WithMessage("Keep the name under 64 characters.")
            .Matches("^[A-Za-z0-9][A-Za-z0-9._-]*$").WithMessage("Use letters, digits, '.', '_' or '-' (it appears in model references like name/model).");
        RuleFor(p => p.BaseUrl)
            .NotEmpty().WithMessage("The base URL is required, e.g. http://localhost:4000/v1.")
            .Must(BeHttpUrl).WithMessage("Enter an absolute http(s) URL such as https://api.openai.com/v1 (or /sim/v1 for the embedded simulator).");
        RuleFor(p => p.TimeoutSeconds)
            .InclusiveBetween(1, 600).WithMessage("The timeout must be between 1 and 600 seconds.");
        RuleFor(p => p.MaxRetries)
            .InclusiveBetween(0, ResilienceSettings.MaxAllowedRetries).WithMessage($"Retries must be between 0 (fall back at once) and {ResilienceSettings.MaxAllowedRetries}.");
        RuleFor(p => p.CircuitBreakSeconds)
            .InclusiveBetween(1, 3600).WithMessage("The circuit-breaker cool-down must be between 1 second and 1 hour.");
        RuleFor(p => p.Protocol)
            .Must(protocol => ProviderProtocols.TryParse(protocol, out _))
            .WithMessage($"Choose the API the provider speaks: {string.Join(", ", ProviderProtocols.Names)}.");
        RuleFor(p => p.NativeApiNames)
            .Must((form, names) => !ProviderProtocols.TryParse(form.Protocol, out var protocol) || NativeApiNames.TryParse(names, protocol, out _) is null)
            .WithMessage((form, names) => NativeApiNames.TryParse(names, ProviderProtocols.TryParse(form.Protocol, out var protocol) ? protocol : ProviderProtocol.Chat, out _) ?? "");
        RuleFor(p => p.NewApiKey)
            .MaximumLength(4096).WithMessage("That API key is implausibly long.");
    }

    public static bool BeHttpUrl(string? url) =>
        !string.IsNullOrWhiteSpace(url)
        && ((url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal))
            || (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && !string.IsNullOrEmpty(uri.Host)));
}

public sealed class PriceFormValidator : AbstractValidator<PriceForm>
{
    public PriceFormValidator()
    {
        RuleFor(p => p.InputPerMillion)
            .NotNull().WithMessage("Enter the input price per 1M tokens (0 for a free model).")
            .GreaterThanOrEqualTo(0).WithMessage("A price cannot be negative.");
        RuleFor(p => p.OutputPerMillion)
            .NotNull().WithMessage("Enter the output price per 1M tokens (0 for a free model).")
            .GreaterThanOrEqualTo(0).WithMessage("A price cannot be negative.");
        RuleFor(p => p.CachedInputPerMillion)
            .GreaterThanOrEqualTo(0).WithMessage("A price cannot be negative.")
            .LessThanOrEqualTo(p => p.InputPerMillion ?? decimal.MaxValue).WithMessage("The cached input price cannot be above the input price.")
            .When(p => p.CachedInputPerMillion is not null);
        RuleFor(p => p.CacheWritePerMillion)
            .GreaterThanOrEqualTo(0).WithMessage("The cache-write price cannot be negative.")
            .When(p => p.CacheWritePerMillion is not null);
        RuleFor(p => p.BatchDiscount)
            .InclusiveBetween(0m, 1m).WithMessage("The batch discount is a fraction between 0 and 1 (0.5 = half price).")
            .When(p => p.BatchDiscount is not null);
        RuleFor(p => p.Note)
            .MaximumLength(500).WithMessage("Keep the note under 500 characters.");
    }
}

public sealed class ModelFormValidator : AbstractValidator<ModelForm>
{
    public ModelFormValidator()
    {
        RuleFor(m => m.Provider).NotEmpty().WithMessage("Choose the provider that serves this model.");
        RuleFor(m => m.ModelId)
            .NotEmpty().WithMessage("Enter the model id as the provider knows it, e.g. gpt-4.1-mini.")
            .MaximumLength(200).WithMessage("Keep the model id under 200 characters.")
            .Must(id => id is null || id.Trim() == id).WithMessage("The model id cannot start or end with spaces.");
        RuleFor(m => m.DisplayName)
            .NotEmpty().WithMessage("Enter a display name.")
            .MaximumLength(200).WithMessage("Keep the display name under 200 characters.");
        RuleFor(m => m.Tier).NotEmpty().WithMessage("Choose a tier.");
        RuleFor(m => m.ContextWindow)
            .GreaterThan(0).WithMessage("The context window must be a positive number of tokens.")
            .When(m => m.ContextWindow is not null);
        RuleFor(m => m.InitialPrice!).SetValidator(new PriceFormValidator()).When(m => m.InitialPrice is not null);
    }
}

internal static class ValidationExtensions
{
    /// <summary>MudBlazor's form validation hook: validates one property of the model with a FluentValidation validator.</summary>
    public static Func<object, string, Task<IEnumerable<string>>> ForMudForm<T>(this IValidator<T> validator) => async (model, propertyName) =>
    {
        var result = await validator.ValidateAsync(ValidationContext<T>.CreateWithOptions((T)model, o => o.IncludeProperties(propertyName)));
        return result.IsValid ? [] : result.Errors.Select(e => e.ErrorMessage);
    };

    /// <summary>Validation for one field bound to a nested object that the form's own model does not reach.</summary>
    public static Func<TValue, Task<IEnumerable<string>>> ForField<T, TValue>(this IValidator<T> validator, T instance, string propertyName) => async _ =>
    {
        var result = await validator.ValidateAsync(ValidationContext<T>.CreateWithOptions(instance, o => o.IncludeProperties(propertyName)));
        return result.IsValid ? [] : result.Errors.Select(e => e.ErrorMessage);
    };

    public static IReadOnlyDictionary<string, string[]> ToErrors(this FluentValidation.Results.ValidationResult result) =>
        result.Errors.GroupBy(e => e.PropertyName).ToDictionary(g => g.Key, g => g.Select(e => e.ErrorMessage).ToArray());
}
