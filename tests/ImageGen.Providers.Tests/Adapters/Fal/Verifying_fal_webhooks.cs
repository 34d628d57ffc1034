using System.Text;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Tests.Fakes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ImageGen.Providers.Tests.Adapters.Fal;

public sealed class Verifying_fal_webhooks : IAsyncLifetime
{
    private const string RequestId = "764cabcf-b745-4b3e-ae38-1200304cf45b";

    private FalFake _fake = null!;
    private FalTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _fake = await FalFake.StartAsync();
        _host = FalTestHost.For(_fake, new() { ["Providers:fal:Options:JwksRefreshInterval"] = "00:00:00" });
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _fake.DisposeAsync();
    }

    [Fact]
    public async Task A_webhook_signed_with_fals_key_names_its_request_as_finished()
    {
        var notification = await _host.Adapter.ReadWebhookAsync(_fake.SignedWebhook(RequestId), CancellationToken.None);

        Assert.Equal(new ProviderWebhookNotification(RequestId, Finished: true), notification);
        Assert.Single(_fake.Server.RequestsTo(FalFake.JwksPath));
    }

    [Fact]
    public async Task A_failed_request_is_reported_as_finished_too_so_it_is_polled_at_once()
    {
        var notification = await _host.Adapter.ReadWebhookAsync(
            _fake.SignedWebhook(RequestId, FalFake.WebhookBody(RequestId, status: "ERROR")), CancellationToken.None);

        Assert.True(notification.Finished);
    }

    [Fact]
    public async Task The_key_set_is_fetched_once_and_then_served_from_the_cache()
    {
        await _host.Adapter.ReadWebhookAsync(_fake.SignedWebhook(RequestId), CancellationToken.None);
        await _host.Adapter.ReadWebhookAsync(_fake.SignedWebhook("0f4b2d6e-second"), CancellationToken.None);
        await _host.Adapter.ReadWebhookAsync(_fake.SignedWebhook("a7c9e1f3-third"), CancellationToken.None);

        Assert.Single(_fake.Server.RequestsTo(FalFake.JwksPath));
    }

    [Fact]
    public async Task A_signature_by_a_key_fal_rotated_in_makes_one_refetch_of_the_key_set()
    {
        await _host.Adapter.ReadWebhookAsync(_fake.SignedWebhook(RequestId), CancellationToken.None);
        _fake.RotateKey();

        var notification = await _host.Adapter.ReadWebhookAsync(_fake.SignedWebhook("5e6f7a8b-after-rotation"), CancellationToken.None);

        Assert.Equal("5e6f7a8b-after-rotation", notification.TaskId);
        Assert.Equal(2, _fake.Server.RequestsTo(FalFake.JwksPath).Count);
    }

    [Fact]
    public async Task A_tampered_body_is_rejected()
    {
        var signed = Encoding.UTF8.GetBytes(FalFake.WebhookBody(RequestId));
        var tampered = Encoding.UTF8.GetBytes(FalFake.WebhookBody(RequestId).Replace("image.png", "other.png", StringComparison.Ordinal));
        var webhook = new ProviderWebhookRequest(_fake.SignedHeaders(RequestId, signed, DateTimeOffset.UtcNow), tampered, DateTimeOffset.UtcNow);

        await Assert.ThrowsAsync<WebhookRejectedException>(() => _host.Adapter.ReadWebhookAsync(webhook, CancellationToken.None));
    }

    [Fact]
    public async Task A_signature_by_a_key_fal_never_published_is_rejected()
    {
        var forged = _fake.SignedWebhook(RequestId, key: FalFake.ForeignKey());

        var error = await Assert.ThrowsAsync<WebhookRejectedException>(() => _host.Adapter.ReadWebhookAsync(forged, CancellationToken.None));

        Assert.Contains("not made by any of fal's webhook keys", error.Message);
    }

    [Fact]
    public async Task A_request_id_other_than_the_signed_one_is_rejected()
    {
        var body = Encoding.UTF8.GetBytes(FalFake.WebhookBody(RequestId));
        var headers = _fake.SignedHeaders(RequestId, body, DateTimeOffset.UtcNow);
        headers["X-Fal-Webhook-Request-Id"] = "11111111-swapped";

        await Assert.ThrowsAsync<WebhookRejectedException>(() =>
            _host.Adapter.ReadWebhookAsync(new ProviderWebhookRequest(headers, body, DateTimeOffset.UtcNow), CancellationToken.None));
    }

    [Theory]
    [InlineData("X-Fal-Webhook-Request-Id")]
    [InlineData("X-Fal-Webhook-User-Id")]
    [InlineData("X-Fal-Webhook-Timestamp")]
    [InlineData("X-Fal-Webhook-Signature")]
    public async Task A_webhook_missing_a_signature_header_is_rejected(string header)
    {
        var body = Encoding.UTF8.GetBytes(FalFake.WebhookBody(RequestId));
        var headers = _fake.SignedHeaders(RequestId, body, DateTimeOffset.UtcNow);
        headers.Remove(header);

        var error = await Assert.ThrowsAsync<WebhookRejectedException>(() =>
            _host.Adapter.ReadWebhookAsync(new ProviderWebhookRequest(headers, body, DateTimeOffset.UtcNow), CancellationToken.None));

        Assert.Contains(header, error.Message);
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(301)]
    public async Task A_timestamp_more_than_five_minutes_from_the_arrival_is_rejected(int seconds)
    {
        var now = DateTimeOffset.UtcNow;
        var stale = _fake.SignedWebhook(RequestId, signedAt: now.AddSeconds(seconds), receivedAt: now);

        var error = await Assert.ThrowsAsync<WebhookRejectedException>(() => _host.Adapter.ReadWebhookAsync(stale, CancellationToken.None));

        Assert.Contains("at most 300 s", error.Message);
    }

    [Fact]
    public async Task A_timestamp_within_the_window_is_accepted_even_when_the_clocks_differ()
    {
        var now = DateTimeOffset.UtcNow;

        var notification = await _host.Adapter.ReadWebhookAsync(_fake.SignedWebhook(RequestId, signedAt: now.AddSeconds(-290), receivedAt: now), CancellationToken.None);

        Assert.Equal(RequestId, notification.TaskId);
    }

    [Fact]
    public async Task A_signature_that_is_not_hexadecimal_is_rejected()
    {
        var body = Encoding.UTF8.GetBytes(FalFake.WebhookBody(RequestId));
        var headers = _fake.SignedHeaders(RequestId, body, DateTimeOffset.UtcNow);
        headers["X-Fal-Webhook-Signature"] = "not-a-signature";

        await Assert.ThrowsAsync<WebhookRejectedException>(() =>
            _host.Adapter.ReadWebhookAsync(new ProviderWebhookRequest(headers, body, DateTimeOffset.UtcNow), CancellationToken.None));
    }

    [Fact]
    public async Task With_a_configured_user_id_a_validly_signed_webhook_for_another_fal_account_is_rejected()
    {
        using var host = FalTestHost.For(_fake, new() { ["Providers:fal:Options:WebhookUserId"] = FalFake.UserId });

        var ours = await host.Adapter.ReadWebhookAsync(_fake.SignedWebhook(RequestId), CancellationToken.None);
        var error = await Assert.ThrowsAsync<WebhookRejectedException>(() =>
            host.Adapter.ReadWebhookAsync(_fake.SignedWebhook(RequestId, userId: "someone-else"), CancellationToken.None));

        Assert.Equal(RequestId, ours.TaskId);
        Assert.Contains("another fal account", error.Message);
    }

    [Fact]
    public async Task A_key_set_that_cannot_be_fetched_is_not_a_verdict_on_the_webhook_but_a_provider_failure()
    {
        await using var broken = await FakeProviderServer.StartAsync(app => app.MapGet(FalFake.JwksPath, () => Results.StatusCode(503)));
        using var host = FalTestHost.For(_fake, new() { ["Providers:fal:Options:JwksUrl"] = broken.Url(FalFake.JwksPath).ToString() });

        var error = await Assert.ThrowsAsync<ProviderException>(() => host.Adapter.ReadWebhookAsync(_fake.SignedWebhook(RequestId), CancellationToken.None));

        Assert.True(error.Retryable);
        Assert.Contains("key set", error.Message);
    }

    [Fact]
    public async Task A_completed_request_posts_a_webhook_that_the_adapter_accepts_for_that_request()
    {
        await using var receiver = await FakeProviderServer.StartAsync(app => app.MapPost("/v1/webhooks/fal", () => Results.Ok()));
        var submission = await _host.Adapter.SubmitAsync(
            FalTestHost.Request(webhookUrl: receiver.Url("v1/webhooks/fal")), CancellationToken.None);

        var delivered = await ArrivalAsync(receiver);
        var notification = await _host.Adapter.ReadWebhookAsync(
            new ProviderWebhookRequest(delivered.Headers, delivered.Body, DateTimeOffset.UtcNow), CancellationToken.None);

        Assert.Equal(submission.TaskId, notification.TaskId);
        Assert.True(notification.Finished);
        var done = Assert.IsType<ProviderPollResult.Done>(await _host.Adapter.PollAsync(FalTestHost.Poll(submission, 0), CancellationToken.None));
        Assert.Single(done.Result.Images);
    }

    private static async Task<ReceivedRequest> ArrivalAsync(FakeProviderServer receiver)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (receiver.Requests.Count == 0)
        {
            await Task.Delay(20, deadline.Token);
        }

        return receiver.Requests[0];
    }
}
