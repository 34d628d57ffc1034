using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace ImageGen.EndToEnd.Tests;

[Collection(ImageGenSystemCollection.Name)]
public class Using_the_official_openai_sdk(ImageGenSystem system)
{
    [Fact]
    public async Task The_node_sdk_works_unchanged_but_for_its_base_url()
    {
        // openai-sdk/ holds the pinned official SDK, installed by scripts/test.sh (npm ci).
        var directory = typeof(Using_the_official_openai_sdk).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "OpenAiSdkDirectory").Value!;
        var script = Path.Combine(directory, "generate.mjs");
        var baseUrl = new Uri(system.Gateway.BaseAddress!, "/v1").ToString();
        var start = new ProcessStartInfo("node", [script, baseUrl])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(script)!,
        };
        using var node = Process.Start(start)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));

        Assert.True(node.ExitCode == 0, $"node exited {node.ExitCode}: {await stderr}");
        var result = JsonDocument.Parse(await stdout).RootElement;
        Assert.StartsWith(system.Gateway.BaseAddress!.ToString().TrimEnd('/') + "/files/", result.GetProperty("url").GetString());
        Assert.True(result.GetProperty("created").GetInt64() > 0);
        Assert.Equal(2, result.GetProperty("b64_lengths").GetArrayLength());
        Assert.All(result.GetProperty("b64_lengths").EnumerateArray(), l => Assert.True(l.GetInt32() > 1000));
        var error = result.GetProperty("error");
        Assert.Equal(400, error.GetProperty("status").GetInt32());
        Assert.Equal("model", error.GetProperty("param").GetString());
        Assert.Contains("unknown model 'midjourney-v7'", error.GetProperty("message").GetString());
    }
}
