using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ImageGen.Providers.Tests.Fakes;
using SkiaSharp;

namespace ImageGen.EndToEnd.Tests;

/// <summary>
/// The whole system with its Replicate worker pointed at a fake that calls back: the worker hands Replicate the
/// gateway's <c>/v1/webhooks/replicate</c>, the fake POSTs its signed webhook there when the prediction ends, and the
/// gateway routes it to the worker, which polls the prediction at once (its regular poll is 10 minutes away).
/// </summary>
[Collection(ImageGenSystemCollection.Name)]
public class Generating_with_a_webhook_provider(ImageGenSystem system)
{
    [Fact]
    public async Task A_replicate_job_is_ended_by_the_providers_webhook_through_the_gateway()
    {
        var prompt = $"a lighthouse in fog slow {Guid.NewGuid():N}";
        var response = await system.Gateway.PostAsync("/v1/jobs", new StringContent(
            $$"""{"provider":"replicate","model":"{{ReplicateFake.Schnell}}","prompt":"{{prompt}}","size":"1024x1024"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        var job = await system.WaitForTerminalAsync(id);

        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        var image = Assert.Single(job.GetProperty("images").EnumerateArray());
        var bytes = await system.Gateway.GetByteArrayAsync(new Uri(image.GetProperty("url").GetString()!).PathAndQuery);
        using (var bitmap = SKBitmap.Decode(bytes))
        {
            Assert.Equal((1024, 1024), (bitmap.Width, bitmap.Height));
        }

        var created = system.Replicate.Server.RequestsTo(ReplicateFake.PredictionsPath(ReplicateFake.Schnell)).Single(r => r.BodyText.Contains(prompt));
        using var body = JsonDocument.Parse(created.BodyText);
        var webhook = new Uri(body.RootElement.GetProperty("webhook").GetString()!);
        Assert.Equal("/v1/webhooks/replicate", webhook.AbsolutePath);
        Assert.Equal(system.Gateway.BaseAddress!.Port, webhook.Port);
        var delivery = Assert.Single(system.Replicate.Deliveries, d => d.Body.Contains(prompt));
        Assert.Equal(200, delivery.StatusCode);
        // One poll, made because of the webhook: the scheduled one was ten minutes off.
        var predictionId = JsonDocument.Parse(delivery.Body).RootElement.GetProperty("id").GetString()!;
        Assert.Single(system.Replicate.Server.RequestsTo(ReplicateFake.PredictionPath(predictionId)));
    }

    [Fact]
    public async Task A_forged_webhook_is_refused_at_the_gateway_with_401()
    {
        var body = ReplicateFake.PredictionBody("forged-prediction", "succeeded");
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/webhooks/replicate") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("webhook-id", "msg_forged");
        request.Headers.Add("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", ReplicateFake.Signature("msg_forged", timestamp, body, secret: "whsec_" + Convert.ToBase64String(new byte[24])));

        var response = await system.Gateway.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_webhook_for_a_provider_that_is_not_running_gets_a_problem_404()
    {
        var response = await system.Gateway.PostAsync("/v1/webhooks/fal", new StringContent("{}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
