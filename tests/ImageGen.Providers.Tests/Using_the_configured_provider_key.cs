using ImageGen.Contracts;

namespace ImageGen.Providers.Tests;

/// <summary>A worker for a provider that needs a key, with its own key configured.</summary>
public sealed class WorkerWithKeyFixture : IAsyncLifetime
{
    public const string ConfiguredKey = "sk-configured-0123456789abcdef";

    public KeyedProviderWorker Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await KeyedProviderWorker.StartAsync(apiKey: ConfiguredKey);

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

public class Using_the_configured_provider_key(WorkerWithKeyFixture fixture) : IClassFixture<WorkerWithKeyFixture>
{
    private KeyedProviderWorker Host => fixture.Host;

    [Fact]
    public async Task Without_a_per_request_key_the_configured_key_is_used()
    {
        var command = Host.Command(prompt: "a lighthouse, configured key");

        var events = await Host.RunAsync(command);

        Assert.Single(events.OfType<ImageGenerationSucceeded>());
        var call = Assert.Single(Host.Provider.Requests, r => r.BodyText.Contains("configured key", StringComparison.Ordinal));
        Assert.Equal($"Bearer {WorkerWithKeyFixture.ConfiguredKey}", call.Header("Authorization"));
    }

    [Fact]
    public async Task A_per_request_key_takes_precedence_over_the_configured_one()
    {
        var command = Host.Command(prompt: "a lighthouse, own key", perRequestKey: "sk-callers-own-9876543210");

        await Host.RunAsync(command);

        var call = Assert.Single(Host.Provider.Requests, r => r.BodyText.Contains("own key", StringComparison.Ordinal));
        Assert.Equal("Bearer sk-callers-own-9876543210", call.Header("Authorization"));
    }

    [Fact]
    public async Task The_images_are_stored_and_the_cost_the_provider_reports_is_published()
    {
        var command = Host.Command(count: 2, estimatedCostUsd: 0.05m);

        var succeeded = Assert.Single((await Host.RunAsync(command)).OfType<ImageGenerationSucceeded>());

        Assert.Equal(("fake-model-1", 0.042m), (succeeded.Model, succeeded.CostUsd));
        Assert.Equal([(64, 48), (65, 48)], succeeded.Images.Select(i => (i.Width, i.Height)));
        Assert.All(succeeded.Images, i => Assert.True(Host.Storage.Storage.Objects.ContainsKey(i.StorageKey)));
        Assert.All(succeeded.Images, i => Assert.Null(i.Attribution));
    }

    [Fact]
    public async Task Without_a_reported_cost_the_estimate_is_published()
    {
        var command = Host.Command(prompt: "no-cost please", estimatedCostUsd: 0.05m);

        var succeeded = Assert.Single((await Host.RunAsync(command)).OfType<ImageGenerationSucceeded>());

        Assert.Equal(0.05m, succeeded.CostUsd);
    }

    [Fact]
    public async Task A_downloaded_stock_photo_keeps_its_attribution()
    {
        var command = Host.Command(prompt: "stock photo of a lighthouse");

        var succeeded = Assert.Single((await Host.RunAsync(command)).OfType<ImageGenerationSucceeded>());

        var image = Assert.Single(succeeded.Images);
        Assert.Equal(("image/jpeg", 80, 60), (image.ContentType, image.Width, image.Height));
        Assert.Equal(new ImageAttribution("Photo by Ann on Fakesplash", "Ann", "https://fakesplash.example/@ann", "https://fakesplash.example/photos/1"), image.Attribution);
        Assert.Single(Host.Provider.RequestsTo("/files/photo.jpg"));
    }

    [Fact]
    public async Task A_rate_limit_is_published_with_the_wait_the_provider_asked_for()
    {
        var command = Host.Command(prompt: "rate-limit me");

        var failed = Assert.Single((await Host.RunAsync(command)).OfType<ImageGenerationFailed>());

        Assert.Equal((ErrorCodes.RateLimited, true, 7), (failed.ErrorCode, failed.Retryable, failed.RetryAfterSeconds));
        Assert.Contains("Rate limit reached for requests.", failed.ErrorMessage);
        Assert.Null(failed.CostUsd);
    }

    [Fact]
    public async Task A_charged_refusal_is_published_with_its_cost()
    {
        var command = Host.Command(prompt: "moderation trigger");

        var failed = Assert.Single((await Host.RunAsync(command)).OfType<ImageGenerationFailed>());

        Assert.Equal((ErrorCodes.ContentPolicy, false, 0.01m), (failed.ErrorCode, failed.Retryable, failed.CostUsd));
        Assert.Null(failed.RetryAfterSeconds);
        Assert.Contains("rejected by the safety system", failed.ErrorMessage);
    }
}
