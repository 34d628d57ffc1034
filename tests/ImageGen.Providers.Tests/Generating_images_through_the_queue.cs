using System.Net;
using System.Security.Cryptography;
using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Builtin;

namespace ImageGen.Providers.Tests;

public class Generating_images_through_the_queue(ProviderWorkerFixture fixture) : IClassFixture<ProviderWorkerFixture>
{
    [Fact]
    public async Task The_attempt_is_announced_and_its_images_are_stored_and_reported()
    {
        var command = fixture.Command(width: 200, height: 120, count: 2, format: "webp");

        await fixture.Bus.SendAsync(fixture.ProviderId, command);
        var events = await fixture.Bus.OutcomesOfAsync(command.JobId);

        var started = Assert.Single(events.OfType<ImageGenerationStarted>());
        var succeeded = Assert.Single(events.OfType<ImageGenerationSucceeded>());
        Assert.Empty(events.OfType<ImageGenerationFailed>());
        Assert.Equal((command.Attempt, fixture.ProviderId), (started.Attempt, started.Provider));
        Assert.Equal((command.Owner, BuiltinProviderAdapter.ModelId, command.RequestedAt), (succeeded.Owner, succeeded.Model, succeeded.RequestedAt));
        Assert.Equal(started.StartedAt, succeeded.StartedAt);
        Assert.True(succeeded.CompletedAt >= succeeded.StartedAt);
        Assert.Equal(2, succeeded.Images.Count);
        Assert.NotEqual(succeeded.Images[0].StorageKey, succeeded.Images[1].StorageKey);
        foreach (var image in succeeded.Images)
        {
            var stored = fixture.Storage.Storage.Objects[image.StorageKey];
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(stored.Content)), image.Sha256);
            Assert.Equal(stored.Content.Length, image.Bytes);
            Assert.Equal(("image/webp", 200, 120), (image.ContentType, image.Width, image.Height));
            using var bitmap = ImageAssert.Decode(stored.Content);
            Assert.Equal((200, 120), (bitmap.Width, bitmap.Height));
        }

        var first = ProceduralRenderer.Render(command.Prompt, command.NegativePrompt, command.Seed, 200, 120, ImageOutputFormat.Webp);
        Assert.Equal(first, fixture.Storage.Storage.Objects[succeeded.Images[0].StorageKey].Content);
    }

    [Fact]
    public async Task Large_images_reach_storage_in_64_KiB_chunks()
    {
        var command = fixture.Command(width: 1024, height: 768, format: "png");

        await fixture.Bus.SendAsync(fixture.ProviderId, command);
        var events = await fixture.Bus.OutcomesOfAsync(command.JobId);

        var image = Assert.Single(Assert.Single(events.OfType<ImageGenerationSucceeded>()).Images);
        var stored = fixture.Storage.Storage.Objects[image.StorageKey];
        Assert.True(stored.Chunks > 1);
        Assert.Equal(64 * 1024, stored.LargestChunk);
        Assert.Equal((int)Math.Ceiling(stored.Content.Length / (64 * 1024.0)), stored.Chunks);
    }

    [Fact]
    public async Task A_redelivered_command_stores_the_same_objects_again_harmlessly()
    {
        var command = fixture.Command(seed: 4242);

        await fixture.Bus.SendAsync(fixture.ProviderId, command);
        await fixture.Bus.OutcomesOfAsync(command.JobId);
        await fixture.Bus.SendAsync(fixture.ProviderId, command);
        var events = await fixture.Bus.OutcomesOfAsync(command.JobId, outcomes: 2);

        var outcomes = events.OfType<ImageGenerationSucceeded>().ToList();
        Assert.Equal(2, outcomes.Count);
        Assert.Equal(outcomes[0].Images, outcomes[1].Images);
    }

    [Theory]
    [InlineData(4097, 512, "png")]
    [InlineData(32, 32, "png")]
    [InlineData(512, 512, "gif")]
    public async Task What_the_provider_cannot_make_fails_as_an_invalid_request(int width, int height, string format)
    {
        var command = fixture.Command(width: width, height: height, format: format);

        await fixture.Bus.SendAsync(fixture.ProviderId, command);
        var events = await fixture.Bus.OutcomesOfAsync(command.JobId);

        var failed = Assert.Single(events.OfType<ImageGenerationFailed>());
        Assert.Equal(ErrorCodes.InvalidRequest, failed.ErrorCode);
        Assert.False(failed.Retryable);
        Assert.False(string.IsNullOrWhiteSpace(failed.ErrorMessage));
        Assert.Empty(events.OfType<ImageGenerationSucceeded>());
    }

    [Fact]
    public async Task A_command_for_a_provider_this_worker_does_not_serve_fails_as_an_invalid_request()
    {
        var command = fixture.Command(provider: "no-such-provider");

        await fixture.Bus.SendAsync(fixture.ProviderId, command);
        var events = await fixture.Bus.OutcomesOfAsync(command.JobId);

        var failed = Assert.Single(events.OfType<ImageGenerationFailed>());
        Assert.Equal((ErrorCodes.InvalidRequest, "no-such-provider"), (failed.ErrorCode, failed.Provider));
        Assert.Contains(fixture.ProviderId, failed.ErrorMessage);
    }

    [Fact]
    public async Task A_storage_outage_is_retried_and_the_attempt_then_succeeds()
    {
        fixture.Storage.Storage.FailNext(1);
        var command = fixture.Command(seed: 9001);

        await fixture.Bus.SendAsync(fixture.ProviderId, command);
        var events = await fixture.Bus.OutcomesOfAsync(command.JobId);

        Assert.Single(events.OfType<ImageGenerationSucceeded>());
        Assert.Empty(events.OfType<ImageGenerationFailed>());
    }

    [Fact]
    public async Task A_storage_outage_that_outlasts_the_retries_fails_the_attempt_as_retryable()
    {
        // One try plus the one retry the fixture configures.
        fixture.Storage.Storage.FailNext(2);
        var command = fixture.Command(seed: 9002);

        await fixture.Bus.SendAsync(fixture.ProviderId, command);
        var events = await fixture.Bus.OutcomesOfAsync(command.JobId);

        var failed = Assert.Single(events.OfType<ImageGenerationFailed>());
        Assert.Equal(ErrorCodes.Internal, failed.ErrorCode);
        Assert.True(failed.Retryable);
        Assert.DoesNotContain("storage is down for the test", failed.ErrorMessage);
        Assert.Empty(events.OfType<ImageGenerationSucceeded>());
    }

    [Fact]
    public async Task The_worker_reports_healthy_once_its_bus_is_connected()
    {
        using var client = fixture.Worker.CreateClient();

        var health = await client.GetAsync("/health");
        var alive = await client.GetAsync("/alive");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }
}
