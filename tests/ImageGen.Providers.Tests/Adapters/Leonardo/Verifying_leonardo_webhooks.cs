using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Leonardo;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.Leonardo;

public sealed class Verifying_leonardo_webhooks : IAsyncLifetime
{
    private const string GenerationId = "75925cd2-fb65-4e8c-84c0-6cc010a528e3";

    private LeonardoFake _fake = null!;
    private LeonardoTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _fake = await LeonardoFake.StartAsync();
        _host = LeonardoTestHost.For(_fake, new() { [LeonardoAdapter.WebhookSecretOption] = LeonardoFake.WebhookKey });
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _fake.DisposeAsync();
    }

    [Theory]
    [InlineData("COMPLETE")]
    [InlineData("FAILED")]
    public async Task A_webhook_with_the_callback_key_names_its_generation_as_ended(string status)
    {
        var notification = await _host.Adapter.ReadWebhookAsync(LeonardoFake.Webhook(GenerationId, status: status), CancellationToken.None);

        Assert.Equal(new ProviderWebhookNotification(GenerationId, Finished: true), notification);
    }

    [Theory]
    [InlineData("Bearer not-the-callback-key")]
    [InlineData($"Bearer {LeonardoFake.WebhookKey}x")]
    [InlineData($"Basic {LeonardoFake.WebhookKey}")]
    [InlineData(LeonardoFake.WebhookKey)]
    [InlineData(null)]
    public async Task A_webhook_without_exactly_the_callback_key_as_bearer_is_rejected(string? authorization)
    {
        var error = await Assert.ThrowsAsync<WebhookRejectedException>(() =>
            _host.Adapter.ReadWebhookAsync(LeonardoFake.Webhook(GenerationId, authorization), CancellationToken.None));

        Assert.DoesNotContain(LeonardoFake.WebhookKey, error.Message);
    }

    [Fact]
    public async Task While_a_key_is_replaced_both_the_old_and_the_new_one_are_accepted()
    {
        using var host = LeonardoTestHost.For(_fake, new() { [LeonardoAdapter.WebhookSecretOption] = $"old-callback-key-1b2c, {LeonardoFake.WebhookKey}" });

        var byNew = await host.Adapter.ReadWebhookAsync(LeonardoFake.Webhook(GenerationId), CancellationToken.None);
        var byOld = await host.Adapter.ReadWebhookAsync(LeonardoFake.Webhook(GenerationId, "Bearer old-callback-key-1b2c"), CancellationToken.None);

        Assert.Equal((GenerationId, GenerationId), (byNew.TaskId, byOld.TaskId));
    }

    [Fact]
    public async Task Without_a_configured_callback_key_every_webhook_is_rejected()
    {
        using var host = LeonardoTestHost.For(_fake);

        var error = await Assert.ThrowsAsync<WebhookRejectedException>(() =>
            host.Adapter.ReadWebhookAsync(LeonardoFake.Webhook(GenerationId), CancellationToken.None));

        Assert.Contains(LeonardoAdapter.WebhookSecretOption, error.Message);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"type":"image_generation.complete","data":{}}""")]
    [InlineData("""{"type":"image_generation.complete","data":{"object":{"status":"COMPLETE"}}}""")]
    public async Task An_authentic_webhook_whose_body_names_no_generation_is_rejected(string body)
    {
        await Assert.ThrowsAsync<WebhookRejectedException>(() =>
            _host.Adapter.ReadWebhookAsync(LeonardoFake.Webhook(GenerationId, body: body), CancellationToken.None));
    }

    [Fact]
    public async Task A_webhook_about_a_generation_still_running_is_not_an_end()
    {
        var body = """{"type":"image_generation.progress","object":"generation","data":{"object":{"id":"g1","status":"PENDING"}}}""";

        var notification = await _host.Adapter.ReadWebhookAsync(LeonardoFake.Webhook("g1", body: body), CancellationToken.None);

        Assert.Equal(new ProviderWebhookNotification("g1", Finished: false), notification);
    }
}
