namespace CostConsole.Web.Privacy;

internal static class PrivacyExtensions
{
    /// <summary>Retention of stored prompts and erasure on request.</summary>
    public static WebApplicationBuilder AddPrivacy(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<CostConsole.Data.Catalogue.CostConsoleOptions>()
            .Validate(o => o.Privacy.RetentionDays >= 0, "CostConsole:Privacy:RetentionDays must be a number of days, or 0 to keep stored prompts until they are erased.")
            .ValidateOnStart();
        builder.Services.AddSingleton<PromptRetention>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PromptRetention>());
        builder.Services.AddSingleton<Erasure>();
        return builder;
    }
}
