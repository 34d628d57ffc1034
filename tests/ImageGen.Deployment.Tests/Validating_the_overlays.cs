namespace ImageGen.Deployment.Tests;

public class Validating_the_overlays
{
    [Theory]
    [InlineData("deploy/k8s/overlays/production")]
    [InlineData("deploy/k8s/overlays/dev-infra")]
    public async Task Every_object_of_the_overlay_is_valid(string overlay)
    {
        var run = await ManifestValidator.RunAsync(overlay);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Empty(run.InvalidObjects);
        Assert.Matches(@"^k8s: [1-9]\d* objects valid, 0 invalid$", run.LastLine);
    }

    [Fact]
    public async Task Without_arguments_every_overlay_is_validated()
    {
        var run = await ManifestValidator.RunAsync();

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("overlays/production: ", run.Output);
        Assert.Contains("overlays/dev-infra: ", run.Output);
        Assert.Matches(@"^k8s: [1-9]\d* objects valid, 0 invalid$", run.LastLine);
    }

    [Theory]
    [InlineData("deploy/k8s/overlays/production")]
    [InlineData("deploy/k8s/overlays/dev-infra")]
    public async Task The_overlay_runs_every_service_with_its_service_and_autoscaling(string overlay)
    {
        var run = await ManifestValidator.RunAsync(overlay);

        foreach (var service in new[] { "gateway", "generation", "provider-builtin", "storage", "stats" })
        {
            Assert.Contains($"  ok       Deployment imagegen/{service}\n", run.Output);
            Assert.Contains($"  ok       Service imagegen/{service}\n", run.Output);
        }

        foreach (var scaled in new[] { "gateway", "generation", "provider-builtin" })
        {
            Assert.Contains($"  ok       HorizontalPodAutoscaler imagegen/{scaled}\n", run.Output);
            Assert.Contains($"  ok       PodDisruptionBudget imagegen/{scaled}\n", run.Output);
        }

        Assert.Contains("  ok       Ingress imagegen/gateway\n", run.Output);
        Assert.Contains("  ok       PersistentVolumeClaim imagegen/storage-data\n", run.Output);
        Assert.Matches(@"  ok       Secret imagegen/imagegen-connections-[a-z0-9]{10}\n", run.Output);
        Assert.Matches(@"  ok       ConfigMap imagegen/imagegen-config-[a-z0-9]{10}\n", run.Output);
    }

    [Fact]
    public async Task The_dev_infra_overlay_brings_its_own_database_broker_and_cache()
    {
        var run = await ManifestValidator.RunAsync("deploy/k8s/overlays/dev-infra");

        foreach (var infrastructure in new[] { "postgres", "rabbitmq", "redis" })
        {
            Assert.Contains($"  ok       StatefulSet imagegen/{infrastructure}\n", run.Output);
            Assert.Contains($"  ok       Service imagegen/{infrastructure}\n", run.Output);
        }
    }
}
