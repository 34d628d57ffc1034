using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Builtin;
using ImageGen.Testing;
using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace ImageGen.Providers.Tests;

/// <summary>
/// The real worker host on the real broker, serving a provider id of its own so its queue never meets
/// another test run's, with the fake storage server behind service discovery as the AppHost would wire it.
/// </summary>
public sealed class ProviderWorkerFixture : IAsyncLifetime
{
    public string ProviderId { get; } = $"it-{Guid.NewGuid():N}"[..19];

    public FakeStorageServer Storage { get; private set; } = null!;

    public WebApplicationFactory<Program> Worker { get; private set; } = null!;

    public BusObserver Bus { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Storage = await FakeStorageServer.StartAsync();
        Worker = new WorkerFactory(ProviderId, Storage.Address);
        _ = Worker.Services; // starts the host, and with it the bus
        Bus = await BusObserver.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Bus.DisposeAsync();
        await Worker.DisposeAsync();
        await Storage.DisposeAsync();
        await BusObserver.DeleteQueueAsync(ProviderQueues.For(ProviderId));
    }

    public GenerateImage Command(
        string? provider = null, int width = 160, int height = 120, int count = 1, string format = "png", long seed = 77) =>
        new(Guid.NewGuid(), 1, "owner-1", provider ?? ProviderId, BuiltinProviderAdapter.ModelId,
            "a lighthouse on a rocky coast at dusk", "birds", width, height, count, seed, format, DateTimeOffset.UtcNow);

    private sealed class WorkerFactory(string providerId, Uri storageAddress) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("ConnectionStrings:messaging", TestInfrastructure.RabbitMqFor("providers"));
            builder.UseSetting("ConnectionStrings:redis", TestInfrastructure.Redis);
            builder.UseSetting("Provider:Id", providerId);
            builder.UseSetting("Provider:TransientRetries", "1");
            builder.UseSetting("Provider:TransientRetryDelay", "00:00:00.200");
            // What the AppHost sets for a reference to storage's "grpc" endpoint.
            builder.UseSetting("services:storage:grpc:0", storageAddress.ToString());
            builder.ConfigureTestServices(services =>
            {
                services.AddSingleton<IImageProviderAdapter>(new RenamedProvider(providerId, new BuiltinProviderAdapter()));
                services.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = true);
            });
        }
    }

    /// <summary>The built-in renderer under this run's provider id.</summary>
    private sealed class RenamedProvider(string providerId, IImageProviderAdapter inner) : IImageProviderAdapter
    {
        public string ProviderId => providerId;

        public bool RequiresCredential => inner.RequiresCredential;

        public Task<ProviderResult> GenerateAsync(ProviderRequest request, CancellationToken cancellationToken) =>
            inner.GenerateAsync(request, cancellationToken);
    }
}
