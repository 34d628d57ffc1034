using System.Net;
using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ImageGen.Providers.Tests.Fakes;

/// <summary>
/// A test-only adapter for an OpenAI-like synchronous JSON provider that needs a key, written on the
/// worker's plumbing the way real adapters are, so the consumer can be exercised end to end (credentials,
/// errors, costs, downloads, attribution) without a real provider. <see cref="Map"/> is its fake server.
/// </summary>
public sealed class SyncJsonTestAdapter(string providerId, IHttpClientFactory http, ResultImageFetcher fetcher) : IImageProviderAdapter
{
    public const string Name = "FakeSync";

    /// <summary>A prompt that makes this adapter misbehave: it puts the key in its error, which the consumer must scrub.</summary>
    public const string CarelessPrompt = "careless adapter";

    public static readonly Uri DefaultBaseUrl = new("https://fake-sync.invalid/v1/");

    public string ProviderId => providerId;

    public bool RequiresCredential => true;

    public async Task<ProviderResult> GenerateAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        var key = request.RequireCredential();
        if (request.Prompt == CarelessPrompt)
        {
            throw ProviderException.InvalidRequest($"Something is wrong with the key {key}.");
        }

        var body = new { model = request.Model, prompt = request.Prompt, n = request.Count, size = request.Parameter("size"), quality = request.Parameter("quality") };
        using var message = ProviderHttp.JsonRequest(HttpMethod.Post, "images/generations", body).WithBearer(key);
        using var response = await http.CreateClient(ProviderId).SendToProviderAsync(message, Name, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var error = await ProviderErrorMapper.ReadErrorAsync(response, cancellationToken);
            // This provider's quirk: a moderation refusal is a 400, and it is charged.
            throw error.Code == "moderation_blocked"
                ? ProviderException.ContentPolicy($"{Name} refused the prompt: {error.Message}", costUsd: 0.01m)
                : ProviderErrorMapper.Map(Name, error);
        }

        var answer = await response.ReadJsonAsync<Answer>(Name, cancellationToken);
        var images = new List<ProviderImage>();
        foreach (var item in answer.Data)
        {
            images.Add(item.B64Json is { } base64
                ? ImageInspector.FromBase64(base64)
                : await fetcher.FetchAsync(new ImageFetchRequest(new Uri(item.Url!), Name) { Attribution = item.Attribution }, cancellationToken));
        }

        return new ProviderResult(answer.Model ?? request.Model, images, answer.CostUsd);
    }

    /// <summary>Maps the fake provider: <c>POST /v1/images/generations</c>, whose answer the prompt picks, and <c>GET /files/photo.jpg</c>.</summary>
    public static void Map(WebApplication app)
    {
        app.MapGet("/files/photo.jpg", () => Results.Bytes(TestImages.Jpeg(80, 60), "image/jpeg"));
        app.MapPost("/v1/images/generations", async (HttpRequest http) =>
        {
            var request = await http.ReadFromJsonAsync<FakeRequest>(ProviderHttp.SnakeCaseJson);
            var prompt = request?.Prompt ?? string.Empty;
            var token = http.Headers.Authorization.ToString().Replace("Bearer ", string.Empty, StringComparison.Ordinal);
            if (prompt.Contains("hang", StringComparison.Ordinal))
            {
                // A provider that never answers: only the caller giving up ends the request.
                await Task.Delay(Timeout.Infinite, http.HttpContext.RequestAborted);
            }

            if (prompt.Contains("refuse-auth", StringComparison.Ordinal))
            {
                // Like OpenAI, echo the key that was sent.
                return Results.Json(new { error = new { message = $"Incorrect API key provided: {token}. You can find your API key in your account settings.", type = "invalid_request_error", code = "invalid_api_key" } }, statusCode: 401);
            }

            if (prompt.Contains("rate-limit", StringComparison.Ordinal))
            {
                http.HttpContext.Response.Headers.RetryAfter = "7";
                return Results.Json(new { error = new { message = "Rate limit reached for requests.", type = "requests", code = "rate_limit_exceeded" } }, statusCode: 429);
            }

            if (prompt.Contains("moderation", StringComparison.Ordinal))
            {
                return Results.Json(new { error = new { message = "Your request was rejected by the safety system.", type = "image_generation_user_error", code = "moderation_blocked" } }, statusCode: 400);
            }

            if (prompt.Contains("stock", StringComparison.Ordinal))
            {
                var url = new Uri(new Uri($"{http.Scheme}://{http.Host}"), "/files/photo.jpg");
                return Results.Json(new
                {
                    model = "fake-stock",
                    data = new[]
                    {
                        new { url = url.ToString(), attribution = new ImageAttribution("Photo by Ann on Fakesplash", "Ann", "https://fakesplash.example/@ann", "https://fakesplash.example/photos/1") },
                    },
                }, ProviderHttp.SnakeCaseJson);
            }

            var images = Enumerable.Range(0, request?.N ?? 1).Select(i => new { b64_json = Convert.ToBase64String(TestImages.Png(64 + i, 48)) }).ToArray();
            return prompt.Contains("no-cost", StringComparison.Ordinal)
                ? Results.Json(new { model = "fake-model-1", data = images })
                : Results.Json(new { model = "fake-model-1", data = images, cost_usd = 0.042m });
        });
    }

    private sealed record Answer(string? Model, List<Item> Data, decimal? CostUsd);

    private sealed record Item(string? B64Json, string? Url, ImageAttribution? Attribution);

    private sealed record FakeRequest(string? Model, string? Prompt, int? N, string? Size);
}
