using Microsoft.Extensions.Configuration;

// Composes ImageGen for local runs. There is no Docker engine on our machines, so PostgreSQL,
// RabbitMQ and Redis are not container resources: scripts/infra.sh starts them on loopback and the
// services get them as connection strings (defaults in appsettings.json, overridable by
// ConnectionStrings__* variables or command-line arguments).
var builder = DistributedApplication.CreateBuilder(args);

var imagegenDb = builder.AddConnectionString("imagegendb");
var statsDb = builder.AddConnectionString("statsdb");
var messaging = builder.AddConnectionString("messaging");
var redis = builder.AddConnectionString("redis");

// Seals callers' own provider keys between generation and the workers. A key per run is fine
// locally; production sets Credentials:SealingKey so jobs queued across restarts can still be opened.
var sealingKey = builder.Configuration["Credentials:SealingKey"] is { Length: > 0 } configuredKey
    ? configuredKey
    : Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

var storageRoot = Path.GetFullPath(builder.Configuration["Storage:RootPath"] ?? Path.Combine(builder.AppHostDirectory, "..", ".data", "storage"));

// Storage serves gRPC over h2c, which needs an HTTP/2-only port, beside HTTP/1.1 for /files and probes.
var storage = builder.AddProject<Projects.ImageGen_Storage>("storage", launchProfileName: null)
    .WithHttpEndpoint(name: "http", env: "HTTP_PORT")
    .WithHttpEndpoint(name: "grpc", env: "GRPC_PORT")
    .WithEnvironment("Storage__RootPath", storageRoot)
    .WithHttpHealthCheck("/health", endpointName: "http");

var generation = builder.AddProject<Projects.ImageGen_Generation>("generation", launchProfileName: "http")
    .WithReference(imagegenDb)
    .WithReference(messaging)
    .WithReference(redis)
    .WithReference(storage)
    .WithEnvironment("Credentials__SealingKey", sealingKey)
    .WithHttpHealthCheck("/health");

// One worker process per provider: each consumes only its own queue.
var workers = new List<(string Id, IResourceBuilder<ProjectResource> Worker)>();
var providerIds = builder.Configuration.GetSection("Providers:Enabled").Get<string[]>() ?? ["builtin"];
foreach (var providerId in providerIds)
{
    var worker = builder.AddProject<Projects.ImageGen_Providers>($"provider-{providerId}", launchProfileName: "http")
        .WithEnvironment("Provider__Id", providerId)
        .WithEnvironment("Credentials__SealingKey", sealingKey)
        .WithReference(messaging)
        .WithReference(redis)
        .WithReference(storage)
        .WithHttpHealthCheck("/health");
    workers.Add((providerId, worker));

    // The worker's own settings (Providers:<id>:BaseUrl, :Timeout, :Options:*) pass through as they are;
    // its API key becomes a secret parameter, so the dashboard masks it.
    var section = builder.Configuration.GetSection($"Providers:{providerId}");
    foreach (var setting in section.AsEnumerable(makePathsRelative: true).Where(s => s.Value is not null && s.Key != "ApiKey"))
    {
        worker.WithEnvironment($"Providers__{providerId}__{setting.Key.Replace(":", "__", StringComparison.Ordinal)}", setting.Value);
    }

    if (!string.IsNullOrEmpty(section["ApiKey"]))
    {
        worker.WithEnvironment($"Providers__{providerId}__ApiKey",
            builder.AddParameterFromConfiguration($"{providerId}-api-key", $"Providers:{providerId}:ApiKey", secret: true));
    }

    // Result images may come from wherever a test or self-hosted setup points a provider.
    foreach (var fetchSetting in builder.Configuration.GetSection("Providers:Fetch").AsEnumerable(makePathsRelative: true).Where(s => s.Value is not null))
    {
        worker.WithEnvironment($"Providers__Fetch__{fetchSetting.Key.Replace(":", "__", StringComparison.Ordinal)}", fetchSetting.Value);
    }
}

var stats = builder.AddProject<Projects.ImageGen_Stats>("stats", launchProfileName: "http")
    .WithReference(statsDb)
    .WithReference(messaging)
    .WithHttpHealthCheck("/health");

// Gateway:Port 0 picks a free port (tests); the default is the documented http://127.0.0.1:8080.
var gatewayPort = builder.Configuration.GetValue("Gateway:Port", 8080);
var gateway = builder.AddProject<Projects.ImageGen_Gateway>("gateway", launchProfileName: "http")
    .WithEndpoint("http", endpoint => endpoint.Port = gatewayPort == 0 ? null : gatewayPort)
    .WithExternalHttpEndpoints()
    .WithReference(generation)
    .WithReference(storage)
    .WithReference(stats)
    .WithHttpHealthCheck("/health");

// Providers' webhooks: /v1/webhooks/{id} on the gateway goes to that provider's workers (any replica: the
// schedule they act on is in Redis). Providers get the address only when it is public (Webhooks:PublicBaseUrl),
// or, for fakes and self-hosted providers on this machine, when Webhooks:UseGatewayAddress is true.
var publicBaseUrl = builder.Configuration["Webhooks:PublicBaseUrl"];
var useGatewayAddress = builder.Configuration.GetValue("Webhooks:UseGatewayAddress", false);
foreach (var (id, worker) in workers)
{
    var route = $"ReverseProxy__Routes__webhooks-{id}";
    gateway.WithReference(worker)
        .WithEnvironment($"{route}__ClusterId", $"provider-{id}")
        .WithEnvironment($"{route}__Match__Path", $"/v1/webhooks/{id}")
        .WithEnvironment($"{route}__Match__Methods__0", "POST")
        .WithEnvironment($"{route}__Timeout", "00:00:30")
        .WithEnvironment($"{route}__MaxRequestBodySize", "1048576")
        .WithEnvironment($"ReverseProxy__Clusters__provider-{id}__Destinations__worker__Address", $"http://provider-{id}");
    if (!string.IsNullOrEmpty(publicBaseUrl))
    {
        worker.WithEnvironment("Webhooks__PublicBaseUrl", publicBaseUrl);
    }
    else if (useGatewayAddress)
    {
        worker.WithEnvironment("Webhooks__PublicBaseUrl", gateway.GetEndpoint("http"));
    }
}

builder.Build().Run();
