using System.Diagnostics;
using System.Text.Json;

namespace ImageGen.Deployment.Tests;

/// <summary>
/// Runs deploy/k8s/validate.mjs from the repository root, where its node_modules are installed
/// (npm ci --prefix deploy/k8s, done by scripts/test.sh).
/// </summary>
internal static class ManifestValidator
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string Fixture(string name) => Path.Combine("tests", "ImageGen.Deployment.Tests", "Fixtures", name);

    public static async Task<ValidatorRun> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine("deploy", "k8s", "validate.mjs"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var node = Process.Start(start) ?? throw new InvalidOperationException("Could not start node; scripts/test.sh installs Node.js.");
        var output = node.StandardOutput.ReadToEndAsync();
        var errors = node.StandardError.ReadToEndAsync();
        // A guard against a hung process, not a performance expectation: a run takes about a second.
        await node.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return new ValidatorRun(node.ExitCode, await output, await errors);
    }

    /// <summary>The objects a kustomization renders to, as validate.mjs --render --json prints them.</summary>
    public static async Task<JsonElement[]> RenderAsync(string kustomization)
    {
        var run = await RunAsync("--render", "--json", kustomization);
        Assert.True(run.ExitCode == 0, run.ToString());
        return JsonDocument.Parse(run.Output).RootElement.EnumerateArray().ToArray();
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ImageGen.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No ImageGen.sln above {AppContext.BaseDirectory}: the tests read the manifests from the repository.");
    }
}

internal sealed record ValidatorRun(int ExitCode, string Output, string Errors)
{
    public string LastLine => Output.TrimEnd().Split('\n')[^1];

    public string[] InvalidObjects => Output.Split('\n')
        .Where(line => line.StartsWith("  INVALID  ", StringComparison.Ordinal))
        .Select(line => line["  INVALID  ".Length..].Trim())
        .ToArray();

    public override string ToString() => $"exit code {ExitCode}\n{Output}\n{Errors}";
}

internal static class RenderedObjects
{
    public static string Kind(this JsonElement obj) => obj.GetProperty("kind").GetString()!;

    public static string Name(this JsonElement obj) => obj.GetProperty("metadata").GetProperty("name").GetString()!;

    public static JsonElement Single(this JsonElement[] objects, string kind, string name) =>
        objects.Single(o => o.Kind() == kind && o.Name() == name);

    /// <summary>Generated ConfigMaps and Secrets carry a content hash after their name.</summary>
    public static JsonElement Generated(this JsonElement[] objects, string kind, string name) =>
        objects.Single(o => o.Kind() == kind && o.Name().StartsWith(name + "-", StringComparison.Ordinal) && o.Name().Length == name.Length + 11);

    public static JsonElement Container(this JsonElement deployment) =>
        deployment.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers")[0];

    public static string? Env(this JsonElement container, string name) =>
        container.GetProperty("env").EnumerateArray()
            .Where(e => e.GetProperty("name").GetString() == name && e.TryGetProperty("value", out _))
            .Select(e => e.GetProperty("value").GetString())
            .SingleOrDefault();
}
