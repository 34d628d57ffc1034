using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Replicate;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.Replicate;

public sealed class Verifying_replicate_webhooks : IAsyncLifetime
{
    /// <summary>Another secret of the right shape: what a forger, or another account, would sign with.</summary>
    private const string OtherSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private ReplicateFake _fake = null!;
    private ReplicateTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _fake = await ReplicateFake.StartAsync();
        _host = ReplicateTestHost.For(_fake, new() { [ReplicateAdapter.WebhookSecretOption] = ReplicateFake.Secret });
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _fake.DisposeAsync();
    }

    [Theory]
    [InlineData("succeeded", true)]
    [InlineData("failed", true)]
    [InlineData("canceled", true)]
    [InlineData("processing", false)]
    public async Task A_correctly_signed_webhook_names_its_prediction_and_whether_it_ended(string status, bool finished)
    {
        var notification = await _host.Adapter.ReadWebhookAsync(
            ReplicateFake.Webhook(ReplicateFake.PredictionBody("gm3qorzdhgbfurvjtvhg6dckhu", status), Now), CancellationToken.None);

        Assert.Equal(new ProviderWebhookNotification("gm3qorzdhgbfurvjtvhg6dckhu", finished), notification);
        Assert.Empty(_fake.Server.Requests);
    }

    [Fact]
    public async Task Any_one_of_several_signatures_may_match()
    {
        var body = ReplicateFake.PredictionBody("p1", "succeeded");
        var timestamp = Now.ToUnixTimeSeconds();
        var valid = ReplicateFake.Signature("msg_rotating", timestamp, body);
        var webhook = new ProviderWebhookRequest(
            new Dictionary<string, string>
            {
                ["webhook-id"] = "msg_rotating",
                ["webhook-timestamp"] = timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["webhook-signature"] = $"{ReplicateFake.Signature("msg_rotating", timestamp, body, OtherSecret)} v2,bm90IGEgdjEgc2lnbmF0dXJl {valid}",
            },
            System.Text.Encoding.UTF8.GetBytes(body), Now);

        var notification = await _host.Adapter.ReadWebhookAsync(webhook, CancellationToken.None);

        Assert.Equal("p1", notification.TaskId);
    }

    [Fact]
    public async Task While_a_secret_is_replaced_both_the_old_and_the_new_one_are_accepted()
    {
        using var host = ReplicateTestHost.For(_fake, new() { [ReplicateAdapter.WebhookSecretOption] = $"{OtherSecret} {ReplicateFake.Secret}" });

        var byNew = await host.Adapter.ReadWebhookAsync(ReplicateFake.Webhook(ReplicateFake.PredictionBody("p2", "succeeded"), Now), CancellationToken.None);
        var byOld = await host.Adapter.ReadWebhookAsync(
            ReplicateFake.Webhook(ReplicateFake.PredictionBody("p3", "succeeded"), Now, secret: OtherSecret), CancellationToken.None);

        Assert.Equal(("p2", "p3"), (byNew.TaskId, byOld.TaskId));
    }

    [Fact]
    public async Task A_body_changed_after_signing_is_rejected()
    {
        var signed = ReplicateFake.Webhook(ReplicateFake.PredictionBody("p4", "processing"), Now);
        var tampered = new ProviderWebhookRequest(signed.Headers, System.Text.Encoding.UTF8.GetBytes(ReplicateFake.PredictionBody("p4", "succeeded")), Now);

        await Assert.ThrowsAsync<WebhookRejectedException>(() => _host.Adapter.ReadWebhookAsync(tampered, CancellationToken.None));
    }

    [Fact]
    public async Task A_webhook_signed_with_another_secret_is_rejected()
    {
        var forged = ReplicateFake.Webhook(ReplicateFake.PredictionBody("p5", "succeeded"), Now, secret: OtherSecret);

        var error = await Assert.ThrowsAsync<WebhookRejectedException>(() => _host.Adapter.ReadWebhookAsync(forged, CancellationToken.None));

        Assert.Contains("signature does not match", error.Message);
        Assert.DoesNotContain(ReplicateFake.Secret["whsec_".Length..], error.Message);
    }

    [Theory]
    [InlineData("webhook-id")]
    [InlineData("webhook-timestamp")]
    [InlineData("webhook-signature")]
    public async Task A_webhook_without_one_of_the_signature_headers_is_rejected(string missing)
    {
        var webhook = ReplicateFake.Webhook(ReplicateFake.PredictionBody("p6", "succeeded"), Now, without: missing);

        await Assert.ThrowsAsync<WebhookRejectedException>(() => _host.Adapter.ReadWebhookAsync(webhook, CancellationToken.None));
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("v1,not base64!")]
    [InlineData("v2,c2lnbmF0dXJl")]
    public async Task A_signature_header_without_a_valid_v1_signature_is_rejected(string signature)
    {
        var webhook = ReplicateFake.Webhook(ReplicateFake.PredictionBody("p7", "succeeded"), Now, signature: signature);

        await Assert.ThrowsAsync<WebhookRejectedException>(() => _host.Adapter.ReadWebhookAsync(webhook, CancellationToken.None));
    }

    [Theory]
    [InlineData(-360, false)]
    [InlineData(360, false)]
    [InlineData(-240, true)]
    [InlineData(240, true)]
    public async Task The_signing_time_must_be_within_five_minutes_of_arrival(int signedSecondsFromArrival, bool accepted)
    {
        var webhook = ReplicateFake.Webhook(ReplicateFake.PredictionBody("p8", "succeeded"), Now.AddSeconds(signedSecondsFromArrival), receivedAt: Now);

        var read = () => _host.Adapter.ReadWebhookAsync(webhook, CancellationToken.None);

        if (accepted)
        {
            Assert.Equal("p8", (await read()).TaskId);
        }
        else
        {
            var error = await Assert.ThrowsAsync<WebhookRejectedException>(read);
            Assert.Contains("stale", error.Message);
        }
    }

    [Fact]
    public async Task The_tolerance_is_configurable()
    {
        using var host = ReplicateTestHost.For(_fake, new()
        {
            [ReplicateAdapter.WebhookSecretOption] = ReplicateFake.Secret,
            [ReplicateAdapter.WebhookToleranceOption] = "00:00:30",
        });

        var webhook = ReplicateFake.Webhook(ReplicateFake.PredictionBody("p9", "succeeded"), Now.AddSeconds(-45), receivedAt: Now);

        await Assert.ThrowsAsync<WebhookRejectedException>(() => host.Adapter.ReadWebhookAsync(webhook, CancellationToken.None));
    }

    [Fact]
    public async Task A_correctly_signed_body_that_is_not_a_prediction_is_rejected()
    {
        await Assert.ThrowsAsync<WebhookRejectedException>(() => _host.Adapter.ReadWebhookAsync(ReplicateFake.Webhook("not json", Now), CancellationToken.None));
        await Assert.ThrowsAsync<WebhookRejectedException>(() =>
            _host.Adapter.ReadWebhookAsync(ReplicateFake.Webhook("""{"status":"succeeded"}""", Now), CancellationToken.None));
    }

    [Fact]
    public async Task Without_a_configured_secret_the_accounts_secret_is_fetched_once_with_the_workers_token()
    {
        using var host = ReplicateTestHost.For(_fake);

        await host.Adapter.ReadWebhookAsync(ReplicateFake.Webhook(ReplicateFake.PredictionBody("p10", "succeeded"), Now), CancellationToken.None);
        await host.Adapter.ReadWebhookAsync(ReplicateFake.Webhook(ReplicateFake.PredictionBody("p11", "succeeded"), Now), CancellationToken.None);
        await Assert.ThrowsAsync<WebhookRejectedException>(() => host.Adapter.ReadWebhookAsync(
            ReplicateFake.Webhook(ReplicateFake.PredictionBody("p12", "succeeded"), Now, secret: OtherSecret), CancellationToken.None));

        var fetch = Assert.Single(_fake.Server.RequestsTo(ReplicateFake.SecretPath));
        Assert.Equal($"Bearer {ReplicateFake.ApiKey}", fetch.Header("Authorization"));
    }

    [Fact]
    public async Task Without_a_secret_or_a_token_to_fetch_it_with_every_webhook_is_rejected()
    {
        using var host = ReplicateTestHost.For(_fake, apiKey: null);

        var error = await Assert.ThrowsAsync<WebhookRejectedException>(() =>
            host.Adapter.ReadWebhookAsync(ReplicateFake.Webhook(ReplicateFake.PredictionBody("p13", "succeeded"), Now), CancellationToken.None));

        Assert.Contains("WebhookSecret", error.Message);
    }

    [Fact]
    public async Task A_secret_that_cannot_be_fetched_is_a_provider_failure_so_the_webhook_is_asked_again_later()
    {
        using var host = ReplicateTestHost.For(_fake, apiKey: "r8_NotAValidToken00000000000000000");

        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            host.Adapter.ReadWebhookAsync(ReplicateFake.Webhook(ReplicateFake.PredictionBody("p14", "succeeded"), Now), CancellationToken.None));

        Assert.Equal(ErrorCodes.Authentication, error.Code);
        Assert.DoesNotContain("r8_NotAValidToken", error.Message);
    }
}
