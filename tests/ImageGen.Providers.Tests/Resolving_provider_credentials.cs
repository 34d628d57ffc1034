using System.Text.Json;
using ImageGen.Contracts;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests;

/// <summary>A worker for a provider that needs a key, with no key of its own configured.</summary>
public sealed class WorkerWithoutKeyFixture : IAsyncLifetime
{
    public KeyedProviderWorker Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await KeyedProviderWorker.StartAsync(apiKey: null);

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

public class Resolving_provider_credentials(WorkerWithoutKeyFixture fixture) : IClassFixture<WorkerWithoutKeyFixture>
{
    private KeyedProviderWorker Host => fixture.Host;

    private static string NewSecret() => $"sk-test-{Guid.NewGuid():N}";

    private IReadOnlyList<ReceivedRequest> CallsWith(string secret) =>
        Host.Provider.Requests.Where(r => r.Header("Authorization") == $"Bearer {secret}").ToList();

    [Fact]
    public async Task A_sealed_per_request_key_reaches_the_provider_in_its_auth_header()
    {
        var secret = NewSecret();
        var command = Host.Command(perRequestKey: secret);

        var events = await Host.RunAsync(command);

        Assert.Single(events.OfType<ImageGenerationSucceeded>());
        var call = Assert.Single(CallsWith(secret));
        // The orchestrator's translated parameters are sent as they are.
        Assert.Equal("1024x1536", call.Json().GetProperty("size").GetString());
        Assert.Equal("high", call.Json().GetProperty("quality").GetString());
    }

    [Fact]
    public async Task A_tampered_sealed_key_fails_the_attempt_as_an_authentication_error()
    {
        var secret = NewSecret();
        var sealedKey = Host.Sealer.Seal(secret, Guid.NewGuid(), Host.ProviderId);
        var tampered = sealedKey[..^4] + (sealedKey[^4] == 'A' ? 'B' : 'A') + sealedKey[^3..];
        var command = Host.Command(sealedKey: tampered);

        var failed = Assert.Single((await Host.RunAsync(command)).OfType<ImageGenerationFailed>());

        Assert.Equal((ErrorCodes.Authentication, false), (failed.ErrorCode, failed.Retryable));
        Assert.StartsWith("The per-request provider key could not be opened", failed.ErrorMessage);
        Assert.Empty(CallsWith(secret));
    }

    [Fact]
    public async Task A_key_sealed_for_another_job_does_not_open()
    {
        var secret = NewSecret();
        var command = Host.Command(sealedKey: Host.Sealer.Seal(secret, Guid.NewGuid(), Host.ProviderId));

        var failed = Assert.Single((await Host.RunAsync(command)).OfType<ImageGenerationFailed>());

        Assert.Equal(ErrorCodes.Authentication, failed.ErrorCode);
        Assert.Contains("sealed for another job", failed.ErrorMessage);
        Assert.Empty(CallsWith(secret));
    }

    [Fact]
    public async Task Without_any_key_the_attempt_fails_naming_the_setting_to_configure()
    {
        var requestsBefore = Host.Provider.Requests.Count;
        var command = Host.Command();

        var failed = Assert.Single((await Host.RunAsync(command)).OfType<ImageGenerationFailed>());

        Assert.Equal((ErrorCodes.Authentication, false), (failed.ErrorCode, failed.Retryable));
        Assert.Contains($"Providers:{Host.ProviderId}:ApiKey", failed.ErrorMessage);
        Assert.Contains($"Providers__{Host.ProviderId}__ApiKey", failed.ErrorMessage);
        Assert.Equal(requestsBefore, Host.Provider.Requests.Count);
    }

    [Fact]
    public async Task A_key_the_provider_rejects_and_echoes_appears_in_no_log_line_and_no_event()
    {
        var secret = NewSecret();
        var command = Host.Command(prompt: "please refuse-auth", perRequestKey: secret);

        var events = await Host.RunAsync(command);

        var failed = Assert.Single(events.OfType<ImageGenerationFailed>());
        Assert.Equal(ErrorCodes.Authentication, failed.ErrorCode);
        // The provider's own explanation is kept, only the key is gone.
        Assert.Contains("Incorrect API key provided", failed.ErrorMessage);
        // Proof the secret was really in play: it went to the provider, which sent it back.
        Assert.Single(CallsWith(secret));
        AssertNowhere(secret, events);
    }

    [Fact]
    public async Task Even_a_key_an_adapter_puts_in_its_own_error_is_scrubbed()
    {
        var secret = NewSecret();
        var command = Host.Command(prompt: SyncJsonTestAdapter.CarelessPrompt, perRequestKey: secret);

        var events = await Host.RunAsync(command);

        var failed = Assert.Single(events.OfType<ImageGenerationFailed>());
        Assert.Equal("Something is wrong with the key [redacted].", failed.ErrorMessage);
        AssertNowhere(secret, events);
    }

    private void AssertNowhere(string secret, IReadOnlyList<object> events)
    {
        var lines = Host.Logs.Lines;
        // The capture works: the worker logged about this attempt at all levels down to Trace.
        Assert.Contains(lines, l => l.Level == Microsoft.Extensions.Logging.LogLevel.Trace);
        Assert.Contains(lines, l => l.Category.Contains("GenerateImageConsumer", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Everything.Contains(secret, StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Everything.Contains(secret[8..], StringComparison.Ordinal));
        foreach (var message in events)
        {
            Assert.DoesNotContain(secret[8..], JsonSerializer.Serialize(message, message.GetType()));
        }
    }
}
