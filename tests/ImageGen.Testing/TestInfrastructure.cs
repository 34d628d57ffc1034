namespace ImageGen.Testing;

/// <summary>
/// Where the real servers the tests use are: the ones <c>scripts/infra.sh up</c> starts on loopback,
/// unless the IMAGEGEN_TEST_* variables point elsewhere.
/// </summary>
public static class TestInfrastructure
{
    public static string PostgresAdmin =>
        Environment.GetEnvironmentVariable("IMAGEGEN_TEST_POSTGRES")
        ?? "Host=127.0.0.1;Port=5432;Username=imagegen;Password=imagegen;Database=postgres";

    /// <summary>The test vhost, so tests never take messages from a system started by the run command.</summary>
    public static string RabbitMq =>
        Environment.GetEnvironmentVariable("IMAGEGEN_TEST_RABBITMQ")
        ?? "amqp://imagegen:imagegen@127.0.0.1:5672/imagegen-test";

    /// <summary>
    /// A virtual host of its own for one test project (generation, stats, providers, e2e), so events
    /// one project publishes never reach another project's consumers while they run in parallel.
    /// </summary>
    public static string RabbitMqFor(string area)
    {
        var builder = new UriBuilder(RabbitMq) { Path = $"/imagegen-{(area == "e2e" ? "e2e" : "test-" + area)}" };
        return builder.Uri.ToString();
    }

    public static string Redis =>
        Environment.GetEnvironmentVariable("IMAGEGEN_TEST_REDIS") ?? "127.0.0.1:6379";
}
