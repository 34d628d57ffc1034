using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Leonardo;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.Leonardo;

public sealed class Mapping_leonardo_errors : IAsyncLifetime
{
    private LeonardoFake _fake = null!;
    private LeonardoTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _fake = await LeonardoFake.StartAsync();
        _host = LeonardoTestHost.For(_fake);
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _fake.DisposeAsync();
    }

    [Theory]
    [InlineData("nude", ErrorCodes.ContentPolicy, false, "HTTP 400", "content moderation filter: nude")]
    [InlineData("broke", ErrorCodes.InsufficientCredit, false, "HTTP 400", "not enough api tokens")]
    [InlineData("throttle", ErrorCodes.RateLimited, true, "HTTP 429", "Too many requests")]
    [InlineData("server-error", ErrorCodes.ProviderUnavailable, true, "HTTP 500", "Internal server error")]
    public async Task Each_error_on_submission_maps_to_its_unified_code_keeping_leonardos_message(string marker, string code, bool retryable, string context, string said)
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(LeonardoTestHost.Request(prompt: $"a portrait {marker}"), CancellationToken.None));

        Assert.Equal((code, retryable), (error.Code, error.Retryable));
        Assert.StartsWith("Leonardo ", error.Message);
        Assert.Contains(context, error.Message);
        Assert.Contains(said, error.Message);
        Assert.DoesNotContain(LeonardoFake.ApiKey, error.Message);
    }

    [Fact]
    public async Task A_rate_limit_carries_the_wait_leonardo_asked_for()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(LeonardoTestHost.Request(prompt: "a portrait throttle"), CancellationToken.None));

        Assert.Equal(TimeSpan.FromSeconds(12), error.RetryAfter);
    }

    [Fact]
    public async Task A_wrong_key_is_an_authentication_failure_and_the_key_is_not_repeated()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(LeonardoTestHost.Request(key: "0f9e8d7c-6b5a-4938-8271-605f4e3d2c1b"), CancellationToken.None));

        Assert.Equal((ErrorCodes.Authentication, false), (error.Code, error.Retryable));
        Assert.Contains("HTTP 401", error.Message);
        Assert.DoesNotContain("0f9e8d7c-6b5a-4938-8271-605f4e3d2c1b", error.Message);
    }

    [Fact]
    public async Task A_size_leonardo_refuses_is_an_invalid_request()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(LeonardoTestHost.Request(width: 1020, height: 2048), CancellationToken.None));

        Assert.Equal((ErrorCodes.InvalidRequest, false), (error.Code, error.Retryable));
        Assert.Contains("multiples of 8", error.Message);
    }

    [Theory]
    [InlineData("phoenix-2000")]
    [InlineData("../../me")]
    public async Task A_model_that_is_neither_known_nor_a_uuid_is_refused_before_anything_is_sent(string model)
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(LeonardoTestHost.Request(model: model), CancellationToken.None));

        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        Assert.Contains(LeonardoAdapter.Phoenix10, error.Message);
        Assert.Empty(_fake.Server.Requests);
    }

    [Theory]
    [InlineData("contrast", "5")]
    [InlineData("alchemy", "maybe")]
    public async Task A_parameter_leonardo_cannot_take_is_refused_before_anything_is_sent(string name, string value)
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(LeonardoTestHost.Request(parameters: new() { [name] = value }), CancellationToken.None));

        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        Assert.Contains(value, error.Message);
        Assert.Empty(_fake.Server.Requests);
    }

    [Fact]
    public async Task A_failed_generation_is_a_retryable_failure()
    {
        var submission = await _host.Adapter.SubmitAsync(LeonardoTestHost.Request(prompt: "a clock tower fails"), CancellationToken.None);

        var failed = Assert.IsType<ProviderPollResult.Failure>(await _host.Adapter.PollAsync(LeonardoTestHost.Poll(submission, 0), CancellationToken.None));

        Assert.Equal((ErrorCodes.ProviderUnavailable, true), (failed.Error.Code, failed.Error.Retryable));
        Assert.Contains("failed", failed.Error.Message);
    }

    [Fact]
    public async Task A_generation_whose_every_image_is_flagged_is_a_content_policy_failure_that_was_paid_for()
    {
        using var pricing = LeonardoTestHost.For(_fake, new() { [LeonardoAdapter.UsdPerCreditOption] = "0.0015" });

        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            pricing.Adapter.GenerateAsync(LeonardoTestHost.Request(prompt: "a beach flag-all", count: 2), CancellationToken.None));

        Assert.Equal((ErrorCodes.ContentPolicy, false), (error.Code, error.Retryable));
        Assert.Equal(LeonardoFake.CreditCost * 0.0015m, error.CostUsd);
    }

    [Fact]
    public async Task A_generation_leonardo_does_not_know_is_lost_and_retryable_elsewhere()
    {
        var poll = LeonardoTestHost.Poll(ProviderSubmission.Pending("7d1c7a43-0000-4000-8000-000000000000", TimeSpan.Zero), 2);

        var failed = Assert.IsType<ProviderPollResult.Failure>(await _host.Adapter.PollAsync(poll, CancellationToken.None));

        Assert.Equal((ErrorCodes.ProviderUnavailable, true), (failed.Error.Code, failed.Error.Retryable));
        Assert.Contains("no longer knows", failed.Error.Message);
    }

    [Fact]
    public async Task Input_images_are_refused_before_anything_is_sent()
    {
        var request = LeonardoTestHost.Request() with { InputImages = ["https://example.com/cat.png"] };

        var error = await Assert.ThrowsAsync<ProviderException>(() => _host.Adapter.SubmitAsync(request, CancellationToken.None));

        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        Assert.Empty(_fake.Server.Requests);
    }
}
