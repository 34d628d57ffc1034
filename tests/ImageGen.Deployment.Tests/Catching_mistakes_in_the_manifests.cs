namespace ImageGen.Deployment.Tests;

/// <summary>
/// Each fixture under Fixtures/ is a real overlay with one deliberate mistake; the validator must
/// fail on it and name both the object and the problem.
/// </summary>
public class Catching_mistakes_in_the_manifests
{
    [Fact]
    public Task A_service_whose_selector_matches_no_pod() => AssertRejected(
        "service-selector-matches-nothing",
        "Service imagegen/stats",
        "spec.selector {app.kubernetes.io/name=statistics} matches no pod template in imagegen");

    [Fact]
    public Task A_field_of_the_wrong_type() => AssertRejected(
        "field-of-the-wrong-type",
        "Deployment imagegen/gateway",
        "schema: spec.template.spec.containers[0].ports[0].containerPort must be integer");

    [Fact]
    public Task A_misspelled_field_the_schema_alone_would_let_through() => AssertRejected(
        "misspelled-field",
        "Deployment imagegen/generation",
        "unknown field spec.template.spec.containers[0].readinesProbe");

    [Fact]
    public Task A_secret_key_that_does_not_exist() => AssertRejected(
        "missing-secret-key",
        "Deployment imagegen/generation",
        "env ConnectionStrings__imagegendb reads key 'imagegen-db' of Secret 'imagegen-connections-");

    [Fact]
    public Task A_probe_on_a_port_the_container_does_not_have() => AssertRejected(
        "probe-on-a-missing-port",
        "Deployment imagegen/storage",
        "readinessProbe port \"metrics\" is not a port of the container");

    [Fact]
    public Task A_service_discovery_address_on_a_port_the_service_does_not_have() => AssertRejected(
        "service-discovery-on-a-missing-port",
        "Deployment imagegen/generation",
        "services__storage__grpc__0=http://storage:9090: Service 'storage' has no port 9090");

    [Fact]
    public Task A_generated_secret_outside_the_namespace_of_its_readers() => AssertRejected(
        "secret-without-a-namespace",
        "Deployment imagegen/generation",
        "env ConnectionStrings__imagegendb reads Secret 'imagegen-connections', which does not exist in imagegen");

    [Fact]
    public Task A_fixed_replica_count_under_an_autoscaler() => AssertRejected(
        "replicas-under-an-autoscaler",
        "HorizontalPodAutoscaler imagegen/gateway",
        "Deployment imagegen/gateway sets spec.replicas");

    [Fact]
    public async Task A_kustomize_feature_the_renderer_does_not_implement_is_refused_not_skipped()
    {
        var run = await ManifestValidator.RunAsync(ManifestValidator.Fixture("outside-the-kustomize-subset"));

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("cannot render", run.Output);
        Assert.Contains("'helmCharts' is outside the kustomize subset", run.Output);
        Assert.Equal("k8s: 0 objects valid, 0 invalid, 1 kustomization not rendered", run.LastLine);
    }

    [Fact]
    public async Task One_broken_overlay_fails_the_run_even_beside_valid_ones()
    {
        var run = await ManifestValidator.RunAsync(
            "deploy/k8s/overlays/production", ManifestValidator.Fixture("service-selector-matches-nothing"));

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Equal(["Service imagegen/stats"], run.InvalidObjects);
        Assert.Matches(@"^k8s: [1-9]\d* objects valid, 1 invalid$", run.LastLine);
    }

    private static async Task AssertRejected(string fixture, string invalidObject, string problem)
    {
        var run = await ManifestValidator.RunAsync(ManifestValidator.Fixture(fixture));

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains(invalidObject, run.InvalidObjects);
        Assert.Contains(problem, run.Output);
        Assert.Matches(@"^k8s: \d+ objects valid, [1-9]\d* invalid$", run.LastLine);
    }
}
