using System.Text.Json.Nodes;
using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.ComfyUi;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.ComfyUi;

public sealed class Filling_the_workflow_template : IAsyncLifetime
{
    /// <summary>An operator's own graph: other node ids, a styled prompt, and a preview output besides the saved one.</summary>
    private const string OwnWorkflow = """
        {
          "10": { "class_type": "CheckpointLoaderSimple", "inputs": { "ckpt_name": "v1-5-pruned-emaonly.safetensors" } },
          "11": { "class_type": "CLIPTextEncode", "inputs": { "text": "cinematic photo of {{prompt}}, 35mm", "clip": ["10", 1] } },
          "12": { "class_type": "CLIPTextEncode", "inputs": { "text": "{{negative_prompt}}", "clip": ["10", 1] } },
          "13": { "class_type": "EmptyLatentImage", "inputs": { "width": "{{width}}", "height": "{{height}}", "batch_size": "{{batch_size}}" } },
          "14": {
            "class_type": "KSampler",
            "inputs": {
              "seed": "{{seed}}", "steps": 8, "cfg": 2.5, "sampler_name": "dpmpp_2m_sde", "scheduler": "karras", "denoise": 1,
              "model": ["10", 0], "positive": ["11", 0], "negative": ["12", 0], "latent_image": ["13", 0]
            }
          },
          "15": { "class_type": "VAEDecode", "inputs": { "samples": ["14", 0], "vae": ["10", 2] } },
          "16": { "class_type": "PreviewImage", "inputs": { "images": ["15", 0] } },
          "17": { "class_type": "SaveImage", "inputs": { "filename_prefix": "studio/{{width}}x{{height}}", "images": ["15", 0] } }
        }
        """;

    private readonly List<string> _files = [];
    private ComfyUiFake _fake = null!;

    public async Task InitializeAsync() => _fake = await ComfyUiFake.StartAsync();

    public async Task DisposeAsync()
    {
        await _fake.DisposeAsync();
        _files.ForEach(File.Delete);
    }

    [Fact]
    public async Task A_template_file_with_its_own_node_ids_gets_the_values_at_its_placeholders_and_only_saved_images_are_delivered()
    {
        using var host = ComfyUiTestHost.For(_fake, new() { ["Providers:comfyui:Options:WorkflowPath"] = await WriteAsync(OwnWorkflow) });

        var result = await host.Adapter.GenerateAsync(ComfyUiTestHost.Request(count: 2, width: 72, height: 48), CancellationToken.None);

        var graph = _fake.Server.RequestsTo("/prompt")[0].Json().GetProperty("prompt");
        Assert.Equal("cinematic photo of a red fox in fresh snow, 35mm", graph.GetProperty("11").GetProperty("inputs").GetProperty("text").GetString());
        Assert.Equal(72, graph.GetProperty("13").GetProperty("inputs").GetProperty("width").GetInt32());
        Assert.Equal(424242, graph.GetProperty("14").GetProperty("inputs").GetProperty("seed").GetInt64());
        Assert.Equal(8, graph.GetProperty("14").GetProperty("inputs").GetProperty("steps").GetInt32());
        Assert.Equal("studio/72x48", graph.GetProperty("17").GetProperty("inputs").GetProperty("filename_prefix").GetString());
        Assert.Equal(2, result.Images.Count);
        Assert.All(_fake.Server.RequestsTo("/view"), v => Assert.EndsWith("&subfolder=studio&type=output", v.Query));
    }

    [Fact]
    public async Task The_output_node_option_picks_which_nodes_images_are_delivered()
    {
        using var host = ComfyUiTestHost.For(_fake, new()
        {
            ["Providers:comfyui:Options:WorkflowPath"] = await WriteAsync(OwnWorkflow),
            ["Providers:comfyui:Options:OutputNode"] = "16",
        });

        var result = await host.Adapter.GenerateAsync(ComfyUiTestHost.Request(), CancellationToken.None);

        Assert.Single(result.Images);
        Assert.EndsWith("&subfolder=&type=temp", Assert.Single(_fake.Server.RequestsTo("/view")).Query);
    }

    [Fact]
    public void A_prompt_is_set_as_a_value_so_quotes_braces_and_placeholder_text_in_it_stay_as_written()
    {
        var template = ComfyUiWorkflow.Parse(ComfyUiWorkflow.Default, "the built-in workflow");
        const string prompt = "a sign reading \"}}, \"4\": {\" and {{seed}}";

        var graph = ComfyUiWorkflow.Fill(template, new Dictionary<string, JsonValue>
        {
            [ComfyUiWorkflow.Prompt] = JsonValue.Create(prompt),
            [ComfyUiWorkflow.Seed] = JsonValue.Create(7L),
        });

        Assert.Equal(prompt, graph["6"]!["inputs"]!["text"]!.GetValue<string>());
        Assert.Equal(7L, graph["3"]!["inputs"]!["seed"]!.GetValue<long>());
        Assert.Equal(7, graph.Count);
        Assert.Equal("{{prompt}}", template["6"]!["inputs"]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_workflow_saved_in_the_ui_format_is_refused_with_how_to_export_it()
    {
        var error = await RefusedAsync("""{ "last_node_id": 9, "nodes": [ { "id": 3, "type": "KSampler" } ], "links": [] }""");

        Assert.Contains("UI format", error.Message);
        Assert.Contains("Save (API Format)", error.Message);
    }

    [Fact]
    public async Task An_unknown_placeholder_is_refused_naming_it()
    {
        var error = await RefusedAsync(ComfyUiWorkflow.Default.Replace("{{seed}}", "{{sead}}", StringComparison.Ordinal));

        Assert.Contains("{{sead}}", error.Message);
        Assert.Contains("{{seed}}", error.Message);
    }

    [Fact]
    public async Task A_template_without_a_prompt_placeholder_is_refused()
    {
        var error = await RefusedAsync(ComfyUiWorkflow.Default.Replace("{{prompt}}", "a cat", StringComparison.Ordinal));

        Assert.Contains("no {{prompt}} placeholder", error.Message);
    }

    [Fact]
    public async Task A_template_that_is_not_json_is_refused()
    {
        var error = await RefusedAsync("{ \"3\": { \"class_type\": ");

        Assert.Contains("not valid JSON", error.Message);
    }

    [Fact]
    public async Task A_workflow_file_that_is_not_there_is_refused_naming_the_setting()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"comfyui-missing-{Guid.NewGuid():N}.json");
        using var host = ComfyUiTestHost.For(_fake, new() { ["Providers:comfyui:Options:WorkflowPath"] = missing });

        var error = await Assert.ThrowsAsync<ProviderException>(() => host.Adapter.SubmitAsync(ComfyUiTestHost.Request(), CancellationToken.None));

        Assert.Equal((ErrorCodes.Internal, false), (error.Code, error.Retryable));
        Assert.Contains(missing, error.Message);
        Assert.Contains("Providers:comfyui:Options:WorkflowPath", error.Message);
        Assert.Empty(_fake.Server.Requests);
    }

    private async Task<ProviderException> RefusedAsync(string workflow)
    {
        using var host = ComfyUiTestHost.For(_fake, new() { ["Providers:comfyui:Options:WorkflowPath"] = await WriteAsync(workflow) });

        var error = await Assert.ThrowsAsync<ProviderException>(() => host.Adapter.SubmitAsync(ComfyUiTestHost.Request(), CancellationToken.None));

        Assert.Equal((ErrorCodes.Internal, false), (error.Code, error.Retryable));
        Assert.Empty(_fake.Server.Requests);
        return error;
    }

    private async Task<string> WriteAsync(string workflow)
    {
        var path = Path.Combine(Path.GetTempPath(), $"comfyui-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, workflow);
        _files.Add(path);
        return path;
    }
}
