using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.Ark;

public sealed class Mapping_ark_errors : IAsyncLifetime
{
    private FakeProviderServer _fake = null!;
    private ArkTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _fake = await ArkFake.StartAsync();
        _host = ArkTestHost.For(_fake);
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _fake.DisposeAsync();
    }

    private Task<ProviderException> Fail(ProviderRequest request) =>
        Assert.ThrowsAsync<ProviderException>(() => _host.Adapter.GenerateAsync(request, CancellationToken.None));

    [Theory]
    [InlineData("refuse-text", ErrorCodes.ContentPolicy, false, "HTTP 400, InputTextSensitiveContentDetected", "input text may contain sensitive information")]
    [InlineData("refuse-in-200", ErrorCodes.ContentPolicy, false, "in an HTTP 200 answer, OutputImageSensitiveContentDetected", "output image may contain sensitive information")]
    [InlineData("refuse-one-image", ErrorCodes.ContentPolicy, false, "in an HTTP 200 answer, OutputImageSensitiveContentDetected", "output image may contain sensitive information")]
    [InlineData("overdue", ErrorCodes.InsufficientCredit, false, "HTTP 403, AccountOverdueError", "overdue balance")]
    [InlineData("not-activated", ErrorCodes.Authentication, false, "HTTP 404, ModelNotOpen", "has not activated the model")]
    [InlineData("throttle", ErrorCodes.RateLimited, true, "HTTP 429, RateLimitExceeded.EndpointRPMExceeded", "RPM")]
    [InlineData("overloaded", ErrorCodes.ProviderUnavailable, true, "HTTP 429, ServerOverloaded", "server overload")]
    [InlineData("server-error", ErrorCodes.ProviderUnavailable, true, "HTTP 500, InternalServiceError", "unexpected internal error")]
    [InlineData("unavailable", ErrorCodes.ProviderUnavailable, true, "HTTP 503", "temporarily unavailable")]
    public async Task Each_ark_error_maps_to_its_unified_code_keeping_arks_message(string marker, string code, bool retryable, string context, string said)
    {
        var error = await Fail(ArkTestHost.Request(prompt: $"a night market {marker}"));

        Assert.Equal((code, retryable), (error.Code, error.Retryable));
        Assert.StartsWith("Ark ", error.Message);
        Assert.Contains(context, error.Message);
        Assert.Contains(said, error.Message);
        Assert.DoesNotContain(ArkFake.ApiKey, error.Message);
    }

    [Fact]
    public async Task A_wrong_key_is_an_authentication_failure_and_the_key_is_not_repeated()
    {
        var error = await Fail(ArkTestHost.Request(key: "ark-wrong-0c2f8b7d4e13-5b14-4d8e"));

        Assert.Equal((ErrorCodes.Authentication, false), (error.Code, error.Retryable));
        Assert.Contains("AuthenticationError", error.Message);
        Assert.DoesNotContain("ark-wrong", error.Message);
    }

    [Fact]
    public async Task A_rate_limit_carries_arks_retry_after()
    {
        var error = await Fail(ArkTestHost.Request(prompt: "lanterns throttle"));

        Assert.Equal(TimeSpan.FromSeconds(12), error.RetryAfter);
    }

    [Fact]
    public async Task An_unknown_model_is_an_invalid_request()
    {
        var error = await Fail(ArkTestHost.Request(model: "doubao-seedream-9-9-999999"));

        Assert.Equal((ErrorCodes.InvalidRequest, false), (error.Code, error.Retryable));
        Assert.Contains("InvalidEndpointOrModel.NotFound", error.Message);
        Assert.Contains("does not exist", error.Message);
    }

    [Fact]
    public async Task A_size_outside_what_the_model_makes_is_an_invalid_request_naming_the_parameter()
    {
        var error = await Fail(ArkTestHost.Request(parameters: new Dictionary<string, string> { ["size"] = "640x480" }));

        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        Assert.Contains("`size`", error.Message);
    }

    [Fact]
    public async Task When_a_later_image_of_the_job_fails_the_failure_carries_the_cost_of_the_images_already_made()
    {
        var error = await Fail(ArkTestHost.Request(prompt: "kites second-call-fails", count: 2, estimatedCostUsd: 0.06m));

        Assert.Equal(ErrorCodes.ProviderUnavailable, error.Code);
        Assert.Equal(0.03m, error.CostUsd);
        Assert.Equal(2, _fake.RequestsTo(ArkFake.Path).Count);
    }

    [Fact]
    public async Task When_the_first_image_fails_nothing_was_charged()
    {
        var error = await Fail(ArkTestHost.Request(prompt: "kites server-error", count: 2, estimatedCostUsd: 0.06m));

        Assert.Null(error.CostUsd);
        Assert.Single(_fake.RequestsTo(ArkFake.Path));
    }
}
