namespace CostConsole.Web.Api;

/// <summary>
/// The headers that name request fields a translation left out (<see cref="ResponsesApi.IgnoredHeader"/>,
/// <see cref="AnthropicMessagesApi.WarningHeader"/>) are set before the request is routed, when it is not yet known
/// whether the answer will be translated. A passed-through request reached the provider with every field the client
/// wrote, so nothing was dropped and the headers go before its answer starts; a fallback to a translated provider
/// keeps them.
/// </summary>
internal static class DroppedFieldHeaders
{
    public static void ClearForPassthrough(HttpResponse response)
    {
        response.Headers.Remove(ResponsesApi.IgnoredHeader);
        response.Headers.Remove(AnthropicMessagesApi.WarningHeader);
    }
}
