using System.Globalization;
using System.Text;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Tests.Fakes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ImageGen.Providers.Tests.Adapters.Kie;

public sealed class Verifying_kie_callbacks : IAsyncLifetime
{
    private const string TaskId = "a1f3c5e7b9d24680a1f3c5e7b9d24680";

    private KieFake _fake = null!;
    private KieTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _fake = await KieFake.StartAsync();
        _host = KieTestHost.For(_fake);
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _fake.DisposeAsync();
    }

    [Fact]
    public async Task A_callback_signed_with_the_configured_key_names_its_task_as_finished()
    {
        var notification = await _host.Adapter.ReadWebhookAsync(KieFake.SignedCallback(TaskId), CancellationToken.None);

        Assert.Equal(new ProviderWebhookNotification(TaskId, Finished: true), notification);
    }

    [Fact]
    public async Task A_failure_callback_is_reported_as_finished_too_so_the_task_is_polled_at_once()
    {
        var notification = await _host.Adapter.ReadWebhookAsync(
            KieFake.SignedCallback(TaskId, KieFake.CallbackBody(TaskId, code: 501)), CancellationToken.None);

        Assert.True(notification.Finished);
    }

    [Fact]
    public async Task The_task_id_is_also_read_in_the_snake_case_form_kies_verification_guide_uses()
    {
        var body = $$$"""{"code":200,"msg":"ok","data":{"task_id":"{{{TaskId}}}"}}""";

        var notification = await _host.Adapter.ReadWebhookAsync(KieFake.SignedCallback(TaskId, body), CancellationToken.None);

        Assert.Equal(TaskId, notification.TaskId);
    }

    [Fact]
    public async Task A_callback_signed_with_another_key_is_rejected()
    {
        var forged = KieFake.SignedCallback(TaskId, key: "someone-elses-key");

        var error = await Assert.ThrowsAsync<WebhookRejectedException>(() => _host.Adapter.ReadWebhookAsync(forged, CancellationToken.None));

        Assert.Contains("does not match", error.Message);
    }

    [Fact]
    public async Task A_body_naming_another_task_than_the_signed_one_is_rejected()
    {
        var signedForOther = KieFake.SignedCallback("0000other0000task0000id00000000");
        var tampered = new ProviderWebhookRequest(signedForOther.Headers, Encoding.UTF8.GetBytes(KieFake.CallbackBody(TaskId)), DateTimeOffset.UtcNow);

        await Assert.ThrowsAsync<WebhookRejectedException>(() => _host.Adapter.ReadWebhookAsync(tampered, CancellationToken.None));
    }

    [Fact]
    public async Task A_timestamp_other_than_the_signed_one_is_rejected()
    {
        var signed = KieFake.SignedCallback(TaskId);
        var headers = signed.Headers.ToDictionary();
        headers["X-Webhook-Timestamp"] = (long.Parse(headers["X-Webhook-Timestamp"], CultureInfo.InvariantCulture) + 1).ToString(CultureInfo.InvariantCulture);

        await Assert.ThrowsAsync<WebhookRejectedException>(() =>
            _host.Adapter.ReadWebhookAsync(new ProviderWebhookRequest(headers, signed.Body, signed.ReceivedAt), CancellationToken.None));
    }

    [Theory]
    [InlineData("X-Webhook-Timestamp")]
    [InlineData("X-Webhook-Signature")]
    public async Task A_callback_missing_a_signature_header_is_rejected(string header)
    {
        var signed = KieFake.SignedCallback(TaskId);
        var headers = signed.Headers.Where(h => !string.Equals(h.Key, header, StringComparison.OrdinalIgnoreCase));

        var error = await Assert.ThrowsAsync<WebhookRejectedException>(() =>
            _host.Adapter.ReadWebhookAsync(new ProviderWebhookRequest(headers, signed.Body, signed.ReceivedAt), CancellationToken.None));

        Assert.Contains(header, error.Message);
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(301)]
    public async Task A_timestamp_more_than_five_minutes_from_the_arrival_is_rejected(int seconds)
    {
        var now = DateTimeOffset.UtcNow;

        var error = await Assert.ThrowsAsync<WebhookRejectedException>(() =>
            _host.Adapter.ReadWebhookAsync(KieFake.SignedCallback(TaskId, signedAt: now.AddSeconds(seconds), receivedAt: now), CancellationToken.None));

        Assert.Contains("at most 300 s", error.Message);
    }

    [Fact]
    public async Task The_tolerance_is_configurable()
    {
        using var host = KieTestHost.For(_fake, new() { ["Providers:kie:Options:WebhookTolerance"] = "00:10:00" });
        var now = DateTimeOffset.UtcNow;

        var notification = await host.Adapter.ReadWebhookAsync(KieFake.SignedCallback(TaskId, signedAt: now.AddMinutes(-8), receivedAt: now), CancellationToken.None);

        Assert.Equal(TaskId, notification.TaskId);
    }

    [Fact]
    public async Task Without_a_configured_key_every_callback_is_rejected_as_unverifiable()
    {
        using var host = KieTestHost.For(_fake, new() { ["Providers:kie:Options:WebhookHmacKey"] = null });

        var error = await Assert.ThrowsAsync<WebhookRejectedException>(() => host.Adapter.ReadWebhookAsync(KieFake.SignedCallback(TaskId), CancellationToken.None));

        Assert.Contains("WebhookHmacKey", error.Message);
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_rejected()
    {
        var signed = KieFake.SignedCallback(TaskId);

        await Assert.ThrowsAsync<WebhookRejectedException>(() =>
            _host.Adapter.ReadWebhookAsync(new ProviderWebhookRequest(signed.Headers, "taskId=x"u8.ToArray(), signed.ReceivedAt), CancellationToken.None));
    }

    [Fact]
    public async Task A_finished_task_posts_a_signed_callback_that_the_adapter_accepts_for_that_task()
    {
        await using var receiver = await FakeProviderServer.StartAsync(app => app.MapPost("/v1/webhooks/kie", () => Results.Ok()));
        var submission = await _host.Adapter.SubmitAsync(KieTestHost.Request(webhookUrl: receiver.Url("v1/webhooks/kie")), CancellationToken.None);

        var delivered = await ArrivalAsync(receiver);
        var notification = await _host.Adapter.ReadWebhookAsync(
            new ProviderWebhookRequest(delivered.Headers, delivered.Body, DateTimeOffset.UtcNow), CancellationToken.None);

        Assert.Equal(submission.TaskId, notification.TaskId);
        var done = Assert.IsType<ProviderPollResult.Done>(await _host.Adapter.PollAsync(KieTestHost.Poll(submission, 0), CancellationToken.None));
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
