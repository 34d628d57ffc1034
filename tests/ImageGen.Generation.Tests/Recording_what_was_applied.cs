using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace ImageGen.Generation.Tests;

[Collection(GenerationServiceCollection.Name)]
public class Recording_what_was_applied(GenerationServiceFixture service)
{
    private readonly HttpClient _client = service.CreateClient();

    [Fact]
    public async Task A_job_shows_its_applied_parameters_warnings_and_estimated_cost()
    {
        var response = await _client.PostAsync("/v1/jobs", new StringContent("""{"prompt":"applied","size":"300x200"}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(JsonValueKind.Object, job.GetProperty("applied_parameters").ValueKind);
        Assert.Empty(job.GetProperty("warnings").EnumerateArray());
        Assert.Equal(0m, job.GetProperty("estimated_cost_usd").GetDecimal());
        Assert.False(job.GetProperty("request").GetProperty("strict").GetBoolean());
    }

    [Fact]
    public async Task What_the_provider_said_about_its_result_is_shown_after_the_adjustment_warnings()
    {
        var response = await _client.PostAsync("/v1/jobs", new StringContent("""{"prompt":"warn: partial","size":"300x200"}""", Encoding.UTF8, "application/json"));
        var accepted = await response.Content.ReadFromJsonAsync<JsonElement>();
        var adjustments = accepted.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()).ToList();

        var job = await service.WaitForTerminalAsync(_client, response.Headers.Location!.PathAndQuery);

        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal([.. adjustments, "stand-in worker: 1 of 2 images was filtered"], job.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()).ToList());
    }

    [Fact]
    public async Task Input_images_for_a_model_that_cannot_take_them_are_refused()
    {
        var response = await _client.PostAsync("/v1/jobs", new StringContent(
            """{"prompt":"edit this","input_images":["https://example.com/a.png"]}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("does not take input images", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task The_provider_registry_publishes_a_json_schema_and_pricing_per_model()
    {
        var provider = await _client.GetFromJsonAsync<JsonElement>("/v1/providers/builtin");

        var model = provider.GetProperty("models")[0];
        var schema = model.GetProperty("parameters_schema");
        Assert.Equal("object", schema.GetProperty("type").GetString());
        Assert.Equal(4, schema.GetProperty("properties").GetProperty("n").GetProperty("maximum").GetInt32());
        Assert.Equal(0m, model.GetProperty("pricing").GetProperty("per_image_usd").GetDecimal());
        Assert.True(provider.GetProperty("worker_running").GetBoolean());
        Assert.True(provider.GetProperty("available").GetBoolean());
    }
}
