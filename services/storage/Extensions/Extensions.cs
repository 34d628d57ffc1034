using System.Globalization;
using ImageGen.Storage.Objects;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace ImageGen.Storage.Extensions;

public static class Extensions
{
    /// <summary>Port of the HTTP/2-only (h2c) endpoint for gRPC. When unset, Kestrel uses its usual URL configuration.</summary>
    public const string GrpcPortKey = "GRPC_PORT";

    /// <summary>Port of the HTTP/1.1 endpoint for /files and health probes; required with <see cref="GrpcPortKey"/>.</summary>
    public const string HttpPortKey = "HTTP_PORT";

    public static WebApplicationBuilder AddStorage(this WebApplicationBuilder builder)
    {
        builder.ConfigureEndpoints();

        builder.Services.AddOptions<StorageOptions>()
            .BindConfiguration(StorageOptions.SectionName)
            .Validate(o => !string.IsNullOrWhiteSpace(o.RootPath), "Storage:RootPath must name a directory.")
            .Validate(o => o.MaxObjectBytes > 0, "Storage:MaxObjectBytes must be a positive number of bytes.")
            .ValidateOnStart();

        builder.Services.AddSingleton<FileSystemObjectStore>();
        builder.Services.AddSingleton<IObjectStore>(sp => sp.GetRequiredService<FileSystemObjectStore>());
        builder.Services.AddHostedService<StorageRootInitializer>();
        builder.Services.AddHealthChecks().AddCheck<StorageRootHealthCheck>("storage-root", tags: ["ready"]);

        builder.Services.AddGrpc(options => options.EnableDetailedErrors = builder.Environment.IsDevelopment());
        return builder;
    }

    /// <summary>
    /// gRPC without TLS needs an endpoint that speaks only HTTP/2 (there is no ALPN to pick the
    /// protocol), while downloads and probes need HTTP/1.1. So with GRPC_PORT set the service
    /// listens on two ports; on all interfaces, since in a container loopback is unreachable.
    /// </summary>
    private static void ConfigureEndpoints(this WebApplicationBuilder builder)
    {
        var grpcPortValue = builder.Configuration[GrpcPortKey];
        if (string.IsNullOrWhiteSpace(grpcPortValue))
        {
            return;
        }

        var grpcPort = ParsePort(GrpcPortKey, grpcPortValue);
        var httpPortValue = builder.Configuration[HttpPortKey];
        if (string.IsNullOrWhiteSpace(httpPortValue))
        {
            throw new InvalidOperationException(
                $"{GrpcPortKey} is set ({grpcPort}) but {HttpPortKey} is not: set {HttpPortKey} to the port for file downloads and health probes (HTTP/1.1).");
        }

        var httpPort = ParsePort(HttpPortKey, httpPortValue);
        if (httpPort == grpcPort)
        {
            throw new InvalidOperationException($"{GrpcPortKey} and {HttpPortKey} must differ (both are {grpcPort}): gRPC needs an HTTP/2-only port of its own.");
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.ListenAnyIP(grpcPort, listen => listen.Protocols = HttpProtocols.Http2);
            // HTTP/1.1 only: without TLS, Kestrel cannot offer HTTP/2 next to HTTP/1.1 on one port
            // anyway and would warn about it at every start.
            kestrel.ListenAnyIP(httpPort, listen => listen.Protocols = HttpProtocols.Http1);
        });
    }

    private static int ParsePort(string key, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535
            ? port
            : throw new InvalidOperationException($"{key} must be a TCP port between 1 and 65535 (got '{value}').");
}
