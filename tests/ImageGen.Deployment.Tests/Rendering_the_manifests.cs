namespace ImageGen.Deployment.Tests;

public class Rendering_the_manifests
{
    private static readonly string[] ImageGenDeployments = ["gateway", "generation", "provider-builtin", "storage", "stats"];

    [Fact]
    public async Task The_base_reads_its_secrets_but_never_defines_them()
    {
        var objects = await ManifestValidator.RenderAsync("deploy/k8s/base");

        Assert.DoesNotContain(objects, o => o.Kind() == "Secret");
        var secretNames = ImageGenDeployments
            .SelectMany(name => objects.Single("Deployment", name).Container().GetProperty("env").EnumerateArray())
            .Where(e => e.TryGetProperty("valueFrom", out var from) && from.TryGetProperty("secretKeyRef", out _))
            .Select(e => e.GetProperty("valueFrom").GetProperty("secretKeyRef").GetProperty("name").GetString())
            .Distinct()
            .Order();
        Assert.Equal(["imagegen-connections", "imagegen-credentials"], secretNames);
    }

    [Theory]
    [InlineData("deploy/k8s/overlays/production")]
    [InlineData("deploy/k8s/overlays/dev-infra")]
    public async Task Each_overlay_creates_the_connection_secret_with_every_key_the_services_read(string overlay)
    {
        var objects = await ManifestValidator.RenderAsync(overlay);

        var keys = objects.Generated("Secret", "imagegen-connections").GetProperty("data").EnumerateObject().Select(p => p.Name).Order();
        Assert.Equal(["imagegendb", "messaging", "redis", "statsdb"], keys);
    }

    [Fact]
    public async Task Services_find_each_other_through_service_discovery_settings()
    {
        var objects = await ManifestValidator.RenderAsync("deploy/k8s/overlays/production");

        var config = objects.Generated("ConfigMap", "imagegen-config").GetProperty("data");
        Assert.Equal("http://generation:8080", config.GetProperty("services__generation__http__0").GetString());
        Assert.Equal("http://storage:8080", config.GetProperty("services__storage__http__0").GetString());
        Assert.Equal("http://storage:8081", config.GetProperty("services__storage__grpc__0").GetString());
        Assert.Equal("http://stats:8080", config.GetProperty("services__stats__http__0").GetString());
        Assert.False(string.IsNullOrEmpty(config.GetProperty("OTEL_EXPORTER_OTLP_ENDPOINT").GetString()));
    }

    [Fact]
    public async Task Every_service_is_probed_on_health_for_readiness_and_alive_for_liveness()
    {
        var objects = await ManifestValidator.RenderAsync("deploy/k8s/overlays/production");

        foreach (var name in ImageGenDeployments)
        {
            var container = objects.Single("Deployment", name).Container();
            Assert.Equal("/health", container.GetProperty("readinessProbe").GetProperty("httpGet").GetProperty("path").GetString());
            Assert.Equal("/alive", container.GetProperty("livenessProbe").GetProperty("httpGet").GetProperty("path").GetString());
        }
    }

    [Fact]
    public async Task Storage_serves_http_and_grpc_on_separate_ports_and_keeps_objects_on_its_volume()
    {
        var objects = await ManifestValidator.RenderAsync("deploy/k8s/overlays/production");

        var storage = objects.Single("Deployment", "storage");
        var container = storage.Container();
        Assert.Equal("8080", container.Env("HTTP_PORT"));
        Assert.Equal("8081", container.Env("GRPC_PORT"));

        var claimVolume = storage.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("volumes").EnumerateArray()
            .Single(v => v.TryGetProperty("persistentVolumeClaim", out var claim) && claim.GetProperty("claimName").GetString() == "storage-data")
            .GetProperty("name").GetString();
        var mountPath = container.GetProperty("volumeMounts").EnumerateArray()
            .Single(m => m.GetProperty("name").GetString() == claimVolume).GetProperty("mountPath").GetString()!;
        Assert.StartsWith(mountPath + "/", container.Env("Storage__RootPath"));
    }

    [Fact]
    public async Task The_provider_worker_serves_the_builtin_provider()
    {
        var objects = await ManifestValidator.RenderAsync("deploy/k8s/overlays/production");

        var worker = objects.Single("Deployment", "provider-builtin").Container();
        Assert.Equal("builtin", worker.Env("Provider__Id"));
        Assert.StartsWith("ghcr.io/imagegen/providers:", worker.GetProperty("image").GetString());
    }

    [Fact]
    public async Task Production_pins_image_tags_where_the_base_uses_latest()
    {
        var baseObjects = await ManifestValidator.RenderAsync("deploy/k8s/base");
        var production = await ManifestValidator.RenderAsync("deploy/k8s/overlays/production");

        foreach (var name in ImageGenDeployments)
        {
            Assert.EndsWith(":latest", baseObjects.Single("Deployment", name).Container().GetProperty("image").GetString());
            Assert.DoesNotContain(":latest", production.Single("Deployment", name).Container().GetProperty("image").GetString());
        }
    }

    [Fact]
    public async Task Every_container_runs_as_non_root_on_a_read_only_root_filesystem()
    {
        var objects = await ManifestValidator.RenderAsync("deploy/k8s/overlays/production");

        foreach (var name in ImageGenDeployments)
        {
            var pod = objects.Single("Deployment", name).GetProperty("spec").GetProperty("template").GetProperty("spec");
            Assert.True(pod.GetProperty("securityContext").GetProperty("runAsNonRoot").GetBoolean());
            var security = pod.GetProperty("containers")[0].GetProperty("securityContext");
            Assert.True(security.GetProperty("readOnlyRootFilesystem").GetBoolean());
            Assert.False(security.GetProperty("allowPrivilegeEscalation").GetBoolean());
            Assert.Equal(["ALL"], security.GetProperty("capabilities").GetProperty("drop").EnumerateArray().Select(c => c.GetString()));
        }
    }
}
