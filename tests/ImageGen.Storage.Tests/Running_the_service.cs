using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using ImageGen.Storage.Grpc;
using Microsoft.AspNetCore.Hosting;

namespace ImageGen.Storage.Tests;

/// <summary>The service on real Kestrel sockets, as the AppHost and Kubernetes run it.</summary>
public sealed class Running_the_service
{
    [Fact]
    public async Task With_GRPC_PORT_gRPC_speaks_h2c_on_it_while_files_and_health_speak_HTTP_1_on_HTTP_PORT()
    {
        var grpcPort = StorageApp.FreeTcpPort();
        var httpPort = StorageApp.FreeTcpPort();
        using var app = new StorageApp(new Dictionary<string, string?>
        {
            ["GRPC_PORT"] = grpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["HTTP_PORT"] = httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        app.UseKestrel();
        app.StartServer();

        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        var client = new ObjectStorage.ObjectStorageClient(channel);
        var bytes = StorageClientExtensions.RandomBytes(200_000);
        var stored = await client.PutAsync("image/png", bytes);

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), DefaultRequestVersion = HttpVersion.Version11 };
        using var health = await http.GetAsync("/health");
        using var file = await http.GetAsync($"/files/{stored.Key}");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Healthy", await health.Content.ReadAsStringAsync());
        Assert.Equal(HttpVersion.Version11, file.Version);
        Assert.Equal(bytes, await file.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public void GRPC_PORT_without_HTTP_PORT_stops_the_start_with_a_clear_message()
    {
        using var app = new StorageApp(new Dictionary<string, string?> { ["GRPC_PORT"] = "5999" });

        var error = Assert.ThrowsAny<Exception>(() => app.Server);

        Assert.Contains("HTTP_PORT", Messages(error), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not-a-port", "6000")]
    [InlineData("70000", "6000")]
    [InlineData("6000", "6000")]
    public void Invalid_ports_stop_the_start_with_a_clear_message(string grpcPort, string httpPort)
    {
        using var app = new StorageApp(new Dictionary<string, string?> { ["GRPC_PORT"] = grpcPort, ["HTTP_PORT"] = httpPort });

        var error = Assert.ThrowsAny<Exception>(() => app.Server);

        Assert.Contains("GRPC_PORT", Messages(error), StringComparison.Ordinal);
    }

    [Fact]
    public void A_storage_root_that_cannot_be_created_stops_the_start()
    {
        var blocker = Path.GetTempFileName();
        try
        {
            using var app = new StorageApp(new Dictionary<string, string?> { ["Storage:RootPath"] = Path.Combine(blocker, "store") });

            var error = Assert.ThrowsAny<Exception>(() => app.Server);

            Assert.Contains("Storage:RootPath", Messages(error), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(blocker);
        }
    }

    [Fact]
    public void A_non_positive_size_limit_stops_the_start()
    {
        using var app = new StorageApp(new Dictionary<string, string?> { ["Storage:MaxObjectBytes"] = "0" });

        var error = Assert.ThrowsAny<Exception>(() => app.Server);

        Assert.Contains("Storage:MaxObjectBytes", Messages(error), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_reports_unhealthy_when_the_root_stops_taking_writes()
    {
        using var app = new StorageApp();
        using var http = app.CreateClient();
        using (var healthy = await http.GetAsync("/health"))
        {
            Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);
        }

        // Replacing the temp directory with a file makes every write under the root fail, even as root.
        Directory.Delete(Path.Combine(app.RootPath, ".tmp"), recursive: true);
        await File.WriteAllTextAsync(Path.Combine(app.RootPath, ".tmp"), "blocks the directory");

        using var unhealthy = await http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unhealthy.StatusCode);
        Assert.Equal("Unhealthy", await unhealthy.Content.ReadAsStringAsync());
    }

    /// <summary>The messages of the whole chain: the host wraps startup failures.</summary>
    private static string Messages(Exception? error)
    {
        var messages = new List<string>();
        for (; error is not null; error = error.InnerException)
        {
            messages.Add(error.Message);
        }

        return string.Join(" | ", messages);
    }
}
