using System.Text;
using System.Text.Json;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.ComfyUi;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.ComfyUi;

public sealed class Generating_images_with_comfyui : IAsyncLifetime
{
    private ComfyUiFake _fake = null!;
    private ComfyUiTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _fake = await ComfyUiFake.StartAsync();
        _host = ComfyUiTestHost.For(_fake);
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _fake.DisposeAsync();
    }

    [Fact]
    public async Task Submitting_queues_the_built_in_sdxl_workflow_with_the_jobs_values_in_place()
    {
        var request = ComfyUiTestHost.Request(width: 832, height: 1216, count: 3, seed: 18_446_744_073L);

        var submission = await _host.Adapter.SubmitAsync(request, CancellationToken.None);

        Assert.Null(submission.Result);
        Assert.True(Guid.TryParse(submission.TaskId, out _));
        Assert.Equal(TimeSpan.FromMilliseconds(50), submission.NextPollIn);
        var call = Assert.Single(_fake.Server.RequestsTo("/prompt"));
        Assert.Equal("POST", call.Method);
        Assert.Null(call.Header("Authorization"));
        var body = call.Json();
        Assert.Equal($"imagegen-{request.JobId:N}", body.GetProperty("client_id").GetString());
        var graph = body.GetProperty("prompt");
        Assert.Equal("a red fox in fresh snow", Input(graph, "6", "text").GetString());
        Assert.Equal("blurry, text", Input(graph, "7", "text").GetString());
        Assert.Equal((832, 1216, 3), (Input(graph, "5", "width").GetInt32(), Input(graph, "5", "height").GetInt32(), Input(graph, "5", "batch_size").GetInt32()));
        Assert.Equal(18_446_744_073L, Input(graph, "3", "seed").GetInt64());
        Assert.Equal(JsonValueKind.Number, Input(graph, "3", "steps").ValueKind);
        Assert.Equal((25, 7.0, "euler", "normal"),
            (Input(graph, "3", "steps").GetInt32(), Input(graph, "3", "cfg").GetDouble(), Input(graph, "3", "sampler_name").GetString(), Input(graph, "3", "scheduler").GetString()));
        Assert.Equal(ComfyUiWorkflow.DefaultCheckpoint, Input(graph, "4", "ckpt_name").GetString());
        Assert.Equal($"imagegen/{request.JobId:N}-1", Input(graph, "9", "filename_prefix").GetString());
        Assert.DoesNotContain("{{", call.BodyText);
        Assert.Equal("running", _fake.StateOf(submission.TaskId!));
    }

    [Fact]
    public async Task Polls_report_the_prompt_running_and_then_deliver_its_pngs_read_through_view_from_the_configured_server()
    {
        var submission = await _host.Adapter.SubmitAsync(ComfyUiTestHost.Request(count: 2), CancellationToken.None);

        var first = await _host.Adapter.PollAsync(ComfyUiTestHost.Poll(submission, 0), CancellationToken.None);
        var second = await _host.Adapter.PollAsync(ComfyUiTestHost.Poll(submission, 1), CancellationToken.None);

        Assert.IsType<ProviderPollResult.StillRunning>(first);
        Assert.Single(_fake.Server.RequestsTo("/queue"));
        var done = Assert.IsType<ProviderPollResult.Done>(second);
        Assert.Equal(ComfyUiAdapter.ModelId, done.Result.Model);
        Assert.Empty(done.Result.Warnings);
        Assert.Equal(2, done.Result.Images.Count);
        foreach (var image in done.Result.Images)
        {
            Assert.Equal(("image/png", 64, 96), (image.ContentType, image.Width, image.Height));
            using var decoded = ImageAssert.Decode(await TestImages.ReadAsync(image));
            Assert.Equal((64, 96), (decoded.Width, decoded.Height));
        }

        var views = _fake.Server.RequestsTo("/view");
        Assert.Equal(2, views.Count);
        Assert.All(views, v => Assert.Matches(@"^\?filename=[0-9a-f]{32}-1_0000[12]_\.png&subfolder=imagegen&type=output$", v.Query));
        Assert.Equal(2, _fake.Server.RequestsTo($"/history/{submission.TaskId}").Count);
    }

    [Fact]
    public async Task Generating_in_one_call_queues_and_polls_until_the_images_are_there()
    {
        var result = await _host.Adapter.GenerateAsync(ComfyUiTestHost.Request(prompt: "a lantern slow", width: 128, height: 64), CancellationToken.None);

        var image = Assert.Single(result.Images);
        Assert.Equal((128, 64), (image.Width, image.Height));
        Assert.Equal(4, _fake.Server.Requests.Count(r => r.Path.StartsWith("/history/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_checkpoint_and_sampling_settings_come_from_configuration_and_a_jobs_parameters_win_over_them()
    {
        using var host = ComfyUiTestHost.For(_fake, new()
        {
            ["Providers:comfyui:Options:Checkpoint"] = "v1-5-pruned-emaonly.safetensors",
            ["Providers:comfyui:Options:Steps"] = "12",
            ["Providers:comfyui:Options:CfgScale"] = "4.5",
            ["Providers:comfyui:Options:Sampler"] = "dpmpp_2m",
            ["Providers:comfyui:Options:Scheduler"] = "karras",
        });

        await host.Adapter.SubmitAsync(ComfyUiTestHost.Request(parameters: new() { ["steps"] = "30", ["sampler_name"] = "euler_ancestral" }), CancellationToken.None);

        var graph = _fake.Server.RequestsTo("/prompt")[0].Json().GetProperty("prompt");
        Assert.Equal("v1-5-pruned-emaonly.safetensors", Input(graph, "4", "ckpt_name").GetString());
        Assert.Equal((30, 4.5, "euler_ancestral", "karras"),
            (Input(graph, "3", "steps").GetInt32(), Input(graph, "3", "cfg").GetDouble(), Input(graph, "3", "sampler_name").GetString(), Input(graph, "3", "scheduler").GetString()));
    }

    [Theory]
    [InlineData("painter:s3cret-brush-9", "Basic")]
    [InlineData("proxy-token-5f2a9c", "Bearer")]
    public async Task A_key_goes_to_every_call_as_basic_for_user_and_password_or_as_a_bearer_token(string key, string scheme)
    {
        _fake.RequiredAuthorization = scheme == "Basic" ? $"Basic {Convert.ToBase64String(Encoding.UTF8.GetBytes(key))}" : $"Bearer {key}";

        var submission = await _host.Adapter.SubmitAsync(ComfyUiTestHost.Request(prompt: "a kite never", key: key), CancellationToken.None);
        await _host.Adapter.PollAsync(ComfyUiTestHost.Poll(submission, 0, key), CancellationToken.None);
        await _host.Adapter.CancelAsync(ComfyUiTestHost.Poll(submission, 1, key), CancellationToken.None);
        var result = await _host.Adapter.GenerateAsync(ComfyUiTestHost.Request(key: key), CancellationToken.None);

        Assert.Single(result.Images);
        Assert.All(_fake.Server.Requests, r => Assert.Equal(_fake.RequiredAuthorization, r.Header("Authorization")));
        Assert.Contains(_fake.Server.Requests, r => r.Path == "/view");
        Assert.Contains(_fake.Server.Requests, r => r.Path == "/interrupt");
    }

    [Fact]
    public async Task More_images_than_the_workflow_makes_are_delivered_as_far_as_made_with_a_warning()
    {
        var path = Path.Combine(Path.GetTempPath(), $"comfyui-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, ComfyUiWorkflow.Default.Replace("\"{{batch_size}}\"", "1", StringComparison.Ordinal));
        try
        {
            using var host = ComfyUiTestHost.For(_fake, new() { ["Providers:comfyui:Options:WorkflowPath"] = path });

            var result = await host.Adapter.GenerateAsync(ComfyUiTestHost.Request(count: 2), CancellationToken.None);

            Assert.Single(result.Images);
            Assert.Contains("made 1 of the 2 images", Assert.Single(result.Warnings));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static JsonElement Input(JsonElement graph, string node, string input) => graph.GetProperty(node).GetProperty("inputs").GetProperty(input);
}
