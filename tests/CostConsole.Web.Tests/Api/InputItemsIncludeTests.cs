using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CostConsole.Web.Tests.Infrastructure;

namespace CostConsole.Web.Tests.Api;

/// <summary><c>include</c> on <c>GET /v1/responses/{id}/input_items</c>, over raw HTTP.</summary>
public sealed class InputItemsIncludeTests(FullPromptStorageFactory factory) : IClassFixture<FullPromptStorageFactory>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private async Task<string> StoredIdAsync()
    {
        using var client = factory.CreateApiClient();
        using var response = await client.PostAsJsonAsync("/v1/responses", new { model = "auto", input = "My order number is 4417. Where is it?" }, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement.GetProperty("id").GetString()!;
    }

    private async Task<(HttpStatusCode Status, string Body)> GetAsync(string path)
    {
        using var client = factory.CreateApiClient(CostConsoleFactory.ApiKey);
        using var response = await client.GetAsync(path, Cancel);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Cancel));
    }

    [Theory]
    [InlineData("include=message.input_image.image_url")]
    [InlineData("include=message.output_text.logprobs&include=reasoning.encrypted_content")]
    [InlineData("include[]=file_search_call.results&include[]=web_search_call.results&include[]=web_search_call.action.sources")]
    [InlineData("include[]=computer_call_output.output.image_url&include[]=code_interpreter_call.outputs&order=asc")]
    public async Task A_documented_include_is_accepted_and_the_text_items_are_listed_as_without_it(string query)
    {
        var id = await StoredIdAsync();

        var (plainStatus, plain) = await GetAsync($"/v1/responses/{id}/input_items?order=asc");
        var (status, included) = await GetAsync($"/v1/responses/{id}/input_items?{query}");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (plainStatus, status));
        var items = JsonDocument.Parse(included).RootElement.GetProperty("data");
        Assert.Equal("My order number is 4417. Where is it?", Assert.Single(items.EnumerateArray()).GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal(plain, included);
    }

    [Theory]
    [InlineData("include=message.everything", "message.everything")]
    [InlineData("include[]=message.input_image.image_url&include[]=usage", "usage")]
    [InlineData("include=", "")]
    public async Task An_unknown_include_is_refused_with_a_400_naming_the_parameter_and_the_value(string query, string value)
    {
        var id = await StoredIdAsync();

        var (status, body) = await GetAsync($"/v1/responses/{id}/input_items?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error");
        Assert.Equal(("invalid_request_error", "invalid_value", "include"), (error.GetProperty("type").GetString(), error.GetProperty("code").GetString(), error.GetProperty("param").GetString()));
        Assert.Contains($"'{value}'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("'message.input_image.image_url'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
