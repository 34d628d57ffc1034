using System.Net.Http.Json;
using System.Text;
using ImageGen.Providers.Adapters.Automatic1111;
using ImageGen.Providers.Tests.Fakes;
using Microsoft.Extensions.Logging;

namespace ImageGen.Providers.Tests.Adapters.Automatic1111;

public sealed class Canceling_an_automatic1111_generation
{
    private const string Txt2Img = "/sdapi/v1/txt2img";
    private const string Img2Img = "/sdapi/v1/img2img";
    private const string Interrupt = "/sdapi/v1/interrupt";
    private const string Progress = "/internal/progress";
    private const string HeldPrompt = $"a watercolour fox {Automatic1111Fake.HoldMarker}";

    private static readonly string BasicCredentials =
        $"Basic {Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Automatic1111Fake.Username}:{Automatic1111Fake.Password}"))}";

    private static Dictionary<string, string?> Credentials() => new()
    {
        ["Providers:automatic1111:Options:Username"] = Automatic1111Fake.Username,
        ["Providers:automatic1111:Options:Password"] = Automatic1111Fake.Password,
    };

    [Fact]
    public async Task Every_generation_is_filed_under_a_task_id_made_from_the_job_and_its_attempt()
    {
        var webUi = new Automatic1111Fake.WebUi();
        await using var fake = await Automatic1111Fake.StartAsync(webUi);
        using var host = Automatic1111TestHost.For(fake);
        var first = Automatic1111TestHost.Request();
        var retry = first with { Attempt = 2 };
        var edit = Automatic1111TestHost.Request(inputImages: [$"data:image/png;base64,{Convert.ToBase64String(TestImages.Png(48, 48))}"]);

        foreach (var request in new[] { first, retry, edit })
        {
            await host.Adapter.GenerateAsync(request, CancellationToken.None);
        }

        Assert.Equal($"imagegen-{first.JobId:N}-1", Automatic1111Adapter.TaskIdFor(first));
        Assert.Equal($"imagegen-{first.JobId:N}-2", Automatic1111Adapter.TaskIdFor(retry));
        Assert.Equal(
            [Automatic1111Adapter.TaskIdFor(first), Automatic1111Adapter.TaskIdFor(retry)],
            fake.RequestsTo(Txt2Img).Select(r => r.Json().GetProperty("force_task_id").GetString()));
        Assert.Equal(Automatic1111Adapter.TaskIdFor(edit), Assert.Single(fake.RequestsTo(Img2Img)).Json().GetProperty("force_task_id").GetString());
        Assert.Equal([Automatic1111Adapter.TaskIdFor(first), Automatic1111Adapter.TaskIdFor(retry), Automatic1111Adapter.TaskIdFor(edit)], webUi.TaskIds);
    }

    [Fact]
    public async Task Canceling_a_running_generation_interrupts_it_once_with_the_credentials()
    {
        var webUi = new Automatic1111Fake.WebUi();
        await using var fake = await Automatic1111Fake.StartAsync(webUi, requireAuth: true);
        var logs = new CapturingLoggerProvider();
        using var host = Automatic1111TestHost.For(fake, Credentials(), logs: logs);
        var request = Automatic1111TestHost.Request(prompt: HeldPrompt);
        var taskId = Automatic1111Adapter.TaskIdFor(request);
        using var cancel = new CancellationTokenSource();

        var call = host.Adapter.GenerateAsync(request, cancel.Token);
        await webUi.WaitUntilActiveAsync(taskId);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        var asked = Assert.Single(fake.RequestsTo(Progress));
        Assert.Equal((taskId, -1), (asked.Json().GetProperty("id_task").GetString(), asked.Json().GetProperty("id_live_preview").GetInt32()));
        Assert.Equal(BasicCredentials, asked.Header("Authorization"));
        var interrupt = Assert.Single(fake.RequestsTo(Interrupt));
        Assert.Equal(("POST", BasicCredentials), (interrupt.Method, interrupt.Header("Authorization")));
        Assert.Equal([taskId], webUi.Interrupted);
        await webUi.WaitUntilCompletedAsync(taskId);
        Assert.Contains(logs.Lines, l => l.Level == LogLevel.Information && l.Message.Contains(taskId) && l.Message.Contains("interrupted"));
        Assert.DoesNotContain(logs.Lines, l => l.Everything.Contains(Automatic1111Fake.Password) || l.Everything.Contains(BasicCredentials["Basic ".Length..]));
    }

    [Fact]
    public async Task A_canceled_generation_queued_behind_someone_elses_sends_no_interrupt_and_runs_to_completion()
    {
        var webUi = new Automatic1111Fake.WebUi();
        await using var fake = await Automatic1111Fake.StartAsync(webUi);
        var logs = new CapturingLoggerProvider();
        using var host = Automatic1111TestHost.For(fake, logs: logs);
        using var someoneElse = new HttpClient { BaseAddress = fake.BaseAddress };
        var theirs = someoneElse.PostAsJsonAsync(
            "sdapi/v1/txt2img", new { prompt = $"a castle {Automatic1111Fake.HoldMarker}", width = 64, height = 64, force_task_id = "someone-elses-castle" });
        await webUi.WaitUntilActiveAsync("someone-elses-castle");
        var request = Automatic1111TestHost.Request();
        var taskId = Automatic1111Adapter.TaskIdFor(request);
        using var cancel = new CancellationTokenSource();

        var call = host.Adapter.GenerateAsync(request, cancel.Token);
        await webUi.WaitUntilQueuedAsync(taskId);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.Equal(taskId, Assert.Single(fake.RequestsTo(Progress)).Json().GetProperty("id_task").GetString());
        Assert.Empty(fake.RequestsTo(Interrupt));
        Assert.Equal("someone-elses-castle", webUi.Active);
        Assert.Contains(logs.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains(taskId) && l.Message.Contains("run to completion"));

        webUi.Release();
        using var theirAnswer = await theirs;
        Assert.True(theirAnswer.IsSuccessStatusCode);
        await webUi.WaitUntilCompletedAsync(taskId);
        Assert.Empty(webUi.Interrupted);
    }

    [Fact]
    public async Task A_server_without_the_progress_endpoint_is_not_interrupted_since_whose_generation_runs_is_unknown()
    {
        var webUi = new Automatic1111Fake.WebUi();
        await using var fake = await Automatic1111Fake.StartAsync(webUi, progressApi: false);
        var logs = new CapturingLoggerProvider();
        using var host = Automatic1111TestHost.For(fake, logs: logs);
        var request = Automatic1111TestHost.Request(prompt: HeldPrompt);
        var taskId = Automatic1111Adapter.TaskIdFor(request);
        using var cancel = new CancellationTokenSource();

        var call = host.Adapter.GenerateAsync(request, cancel.Token);
        await webUi.WaitUntilActiveAsync(taskId);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.Single(fake.RequestsTo(Progress));
        Assert.Empty(fake.RequestsTo(Interrupt));
        Assert.Equal(taskId, webUi.Active);
        Assert.Contains(logs.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains(taskId) && l.Message.Contains("no internal/progress"));

        webUi.Release();
        await webUi.WaitUntilCompletedAsync(taskId);
        Assert.Empty(webUi.Interrupted);
    }

    [Fact]
    public async Task A_generation_that_is_not_canceled_asks_no_progress_and_sends_no_interrupt()
    {
        var webUi = new Automatic1111Fake.WebUi();
        await using var fake = await Automatic1111Fake.StartAsync(webUi, requireAuth: true);
        using var host = Automatic1111TestHost.For(fake, Credentials());
        var request = Automatic1111TestHost.Request();

        var result = await host.Adapter.GenerateAsync(request, CancellationToken.None);

        Assert.Single(result.Images);
        Assert.Single(fake.RequestsTo(Txt2Img));
        Assert.Empty(fake.RequestsTo(Progress));
        Assert.Empty(fake.RequestsTo(Interrupt));
        await webUi.WaitUntilCompletedAsync(Automatic1111Adapter.TaskIdFor(request));
    }

    [Fact]
    public async Task A_call_canceled_before_it_is_sent_sends_nothing_to_the_server()
    {
        await using var fake = await Automatic1111Fake.StartAsync();
        using var host = Automatic1111TestHost.For(fake);
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => host.Adapter.GenerateAsync(Automatic1111TestHost.Request(), cancel.Token));

        Assert.Empty(fake.Requests);
    }
}
