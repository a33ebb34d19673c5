using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CostConsole.Routing.Rules;
using CostConsole.Web.Routing;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Routing;

public sealed class TrainedModelApiTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    private async Task<(HttpStatusCode Status, JsonElement Body)> TrainAsync(params (string Name, string Value)[] fields)
    {
        using var client = factory.CreateApiClient();
        using var form = new MultipartFormDataContent { { new StringContent(TrainingExamples.Csv(), Encoding.UTF8, "text/csv"), "file", "parcels.csv" } };
        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }

        using var response = await client.PostAsync("/api/router/train", form, TestContext.Current.CancellationToken);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.Clone());
    }

    [Fact]
    public async Task Training_with_save_stores_the_next_version_and_a_published_draft_naming_it_decides_v1_requests()
    {
        var (status, body) = await TrainAsync(("name", "parcel questions"), ("save", "true"), ("quality_target", "0.8"));
        var (againStatus, again) = await TrainAsync(("name", "parcel questions"), ("save", "true"));

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (status, againStatus));
        Assert.Equal(("parcel-questions@1", true), (body.GetProperty("model").GetString(), body.GetProperty("saved").GetBoolean()));
        Assert.Equal("parcel-questions@2", again.GetProperty("model").GetString());
        Assert.Equal("shipped-support@1", body.GetProperty("publishedModel").GetString());
        Assert.True(body.GetProperty("publishedModelEvaluation").GetProperty("curve").GetArrayLength() > 10);

        var ruleSets = factory.Services.GetRequiredService<RuleSetService>();
        var draft = await ruleSets.DraftAsync("api-test", TestContext.Current.CancellationToken);
        var classifier = draft.Definition.Classifier with { Kind = ClassifierKind.Trained, Trained = new TrainedClassifierDefinition { Model = "parcel-questions@1", QualityTarget = 0.8 } };
        var saved = await ruleSets.SaveDraftAsync(draft.Definition with { Classifier = classifier }, draft.ConcurrencyStamp, "api-test", TestContext.Current.CancellationToken);
        Assert.True(saved.Done, saved.Summary);
        var published = await ruleSets.PublishAsync(saved.Version!.ConcurrencyStamp, "router trained from parcel questions", "api-test", TestContext.Current.CancellationToken);
        Assert.True(published.Done, published.Summary);

        using var client = factory.CreateApiClient();
        using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = TrainingExamples.LargePrompt } } }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("large", response.Headers.GetValues("x-costconsole-tier").Single());
        var id = response.Headers.GetValues("x-costconsole-request-id").Single();
        var row = (await factory.LedgerAsync()).Single(r => r.RequestId == id);
        Assert.Null(row.Rule);
        Assert.Contains("; trained parcel-questions@1: P(acceptable) small ", row.Decision, StringComparison.Ordinal);

        using var explained = await client.PostAsJsonAsync("/api/route/explain", new { model = "auto", messages = new[] { new { role = "user", content = TrainingExamples.SmallPrompt } } }, TestContext.Current.CancellationToken);
        var trace = JsonDocument.Parse(await explained.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.Equal(("small", "trained"), (trace.GetProperty("tier").GetString(), trace.GetProperty("classifier").GetString()));
        Assert.InRange(trace.GetProperty("classifier_score").GetDouble(), 0.8, 1.0);
    }

    [Fact]
    public async Task A_save_flag_that_is_not_true_or_false_is_refused_and_stores_nothing()
    {
        var (status, body) = await TrainAsync(("name", "never stored"), ("save", "yes please"));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("save", body.GetProperty("error").GetProperty("param").GetString());
        Assert.DoesNotContain(await factory.Services.GetRequiredService<TrainedModelService>().ListAsync(TestContext.Current.CancellationToken), m => m.Name == "never-stored");
    }
}
