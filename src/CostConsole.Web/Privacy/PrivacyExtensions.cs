namespace CostConsole.Web.Privacy;

internal static class PrivacyExtensions
{
    /// <summary>Retention of stored prompts and erasure on request.</summary>
    public static WebApplicationBuilder AddPrivacy(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<PromptRetention>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PromptRetention>());
        builder.Services.AddSingleton<Erasure>();
        return builder;
    }
}
