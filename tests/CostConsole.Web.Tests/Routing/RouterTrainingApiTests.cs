using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CostConsole.Web.Tests.Infrastructure;

namespace CostConsole.Web.Tests.Routing;

public sealed class RouterTrainingApiTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    private static readonly string[] Things = ["order", "parcel", "invoice", "plan", "card", "refund", "delivery", "subscription", "account", "voucher"];

    /// <summary>Status questions are fine on small; analyses need large.</summary>
    private static string LabelledCsv()
    {
        var csv = new StringBuilder("prompt,tier\n");
        for (var i = 0; i < 160; i++)
        {
            var thing = Things[i % Things.Length];
            csv.Append(i % 2 == 0
                ? $"What is the status of my {thing} {i}?,small\n"
                : $"\"Analyse the {thing} trend for region {i}, compare it with last year and explain the root cause step by step\",large\n");
        }

        return csv.ToString();
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string path, string file, string fileName, params (string Name, string Value)[] fields)
    {
        using var client = factory.CreateApiClient();
        using var form = new MultipartFormDataContent { { new StringContent(file, Encoding.UTF8, "text/csv"), "file", fileName } };
        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }

        using var response = await client.PostAsync(path, form, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return (response.StatusCode, JsonDocument.Parse(body).RootElement.Clone());
    }

    [Fact]
    public async Task Training_from_a_file_through_the_api_reports_held_out_metrics_beside_the_published_router()
    {
        var (status, body) = await PostAsync("/api/router/train", LabelledCsv(), "labels.csv", ("name", "Status vs analysis"), ("quality_target", "0.8"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("status-vs-analysis@1", body.GetProperty("model").GetString());
        Assert.Equal(160, body.GetProperty("trainExamples").GetInt32() + body.GetProperty("heldOutExamples").GetInt32());
        var evaluation = body.GetProperty("evaluation");
        var boundary = evaluation.GetProperty("boundaries")[0];
        Assert.Equal("small|medium", boundary.GetProperty("boundary").GetString());
        Assert.True(boundary.GetProperty("auroc").GetDouble() > 0.9);
        Assert.True(evaluation.GetProperty("gapRecovered").GetProperty("apgr").GetDouble() > 0.7);
        Assert.Equal(0.8, evaluation.GetProperty("operating").GetProperty("qualityTarget").GetDouble());
        Assert.Equal(1.0, evaluation.GetProperty("published").GetProperty("shares").EnumerateArray().Sum(s => s.GetDouble()), 6);
        Assert.True(evaluation.GetProperty("curve").GetArrayLength() > 10);
    }

    [Fact]
    public async Task Evaluating_a_file_scores_the_published_router_and_its_trained_model_without_changing_routing()
    {
        var (status, body) = await PostAsync("/api/router/evaluate", LabelledCsv(), "labels.csv");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(160, body.GetProperty("examples").GetInt32());
        Assert.Equal("shipped-support@1", body.GetProperty("trainedModel").GetString());
        Assert.True(body.GetProperty("published").GetProperty("quality").GetDouble() > 0.5);
        Assert.True(body.GetProperty("trained").GetProperty("boundaries")[1].GetProperty("auroc").GetDouble() > 0.5);
    }

    [Theory]
    [InlineData("prompt,tier\nhello,small\nbye,enormous\n", "labels.csv", null, "invalid_labelled_file", "Line 3: tier 'enormous' does not exist")]
    [InlineData("{\"prompt\":\"a\",\"tier\":\"small\"}\n{nope\n", "labels.jsonl", null, "invalid_labelled_file", "Line 2: not valid JSON")]
    [InlineData("prompt,modelA\nhello,True\n", "outcomes.csv", "small=modelA,large=modelB", "unknown_model_column", "unknown model column 'modelB'")]
    public async Task A_malformed_file_or_an_unknown_model_column_is_refused_with_the_line_and_the_reason(string file, string name, string? tiers, string code, string message)
    {
        var (status, body) = await PostAsync("/api/router/train", file, name, tiers is null ? [] : [("tiers", tiers)]);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var error = body.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal("file", error.GetProperty("param").GetString());
        Assert.Contains(message, error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_quality_target_out_of_range_is_refused_as_an_openai_error()
    {
        var (status, body) = await PostAsync("/api/router/train", LabelledCsv(), "labels.csv", ("quality_target", "1.5"));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("quality_target", body.GetProperty("error").GetProperty("param").GetString());
    }

    [Theory]
    [InlineData("Write a Python function that merges overlapping intervals and explain its complexity.", "large")]
    [InlineData("How do I reset my password? I can't log in.", "small")]
    public async Task A_v1_request_no_rule_catches_follows_the_shipped_trained_router(string prompt, string tier)
    {
        using var client = factory.CreateApiClient();
        using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = prompt } } }, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(tier, response.Headers.GetValues("x-costconsole-tier").Single());
        var id = response.Headers.GetValues("x-costconsole-request-id").Single();
        var row = (await factory.LedgerAsync()).Single(r => r.RequestId == id);
        Assert.Null(row.Rule);
        Assert.Contains("trained shipped-support@1", row.Decision, StringComparison.Ordinal);
    }
}
