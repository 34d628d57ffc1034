using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ImageGen.Providers.Tests.Fakes;

/// <summary>
/// Alibaba DashScope's Wan text-to-image task API as the adapter meets it: <c>POST /api/v1/services/aigc/text2image/image-synthesis</c>
/// (bearer key, <c>X-DashScope-Async: enable</c> required, the request checks the real API makes: model, prompt, <c>W*H</c> size per
/// model, <c>n</c> 1–4, seed range) answering <c>{request_id, output:{task_id, task_status:"PENDING"}}</c>, and <c>GET /api/v1/tasks/{id}</c>
/// moving the task on by one state per poll: RUNNING on the first poll, SUCCEEDED (PNG results served by this server) on the second.
/// Errors in DashScope's own <c>{request_id, code, message}</c> shape.
/// </summary>
/// <remarks>
/// The prompt picks a behaviour: <c>refuse</c> (400 DataInspectionFailed on create), <c>overdue</c> (400 Arrearage),
/// <c>no-access</c> (403 AccessDenied), <c>throttle</c> (429 Throttling.RateQuota with <c>Retry-After: 7</c>), <c>server-error</c> (500 InternalError),
/// <c>never</c> (RUNNING forever), <c>slow</c> (SUCCEEDED on the fifth poll), <c>unsafe-output</c> (task FAILED with DataInspectionFailed),
/// <c>task-error</c> (task FAILED with InternalError.Algo), <c>one-result-fails</c> (the first result is a <c>{code, message}</c>),
/// <c>canceled</c> (CANCELED), <c>poll-unavailable</c> (the first four GETs, one poll with the client's three retries, answer 503; then as usual). An unknown task id is UNKNOWN, as for an expired task.
/// </remarks>
public static class DashScopeFake
{
    public const string ApiKey = "sk-dashscope-fake-3b9d0e6a51f24c7e8a0d";
    public const string SubmitPath = "/api/v1/services/aigc/text2image/image-synthesis";
    public const string Flash = "wan2.2-t2i-flash";
    public const string Wan25 = "wan2.5-t2i-preview";

    private static readonly string[] Models = [Flash, "wan2.2-t2i-plus", Wan25, "wanx2.1-t2i-turbo", "wanx2.1-t2i-plus"];

    public static string TaskPath(string taskId) => $"/api/v1/tasks/{taskId}";

    public static Task<FakeProviderServer> StartAsync()
    {
        var tasks = new ConcurrentDictionary<string, FakeTask>(StringComparer.Ordinal);
        return FakeProviderServer.StartAsync(app =>
        {
            app.MapPost(SubmitPath, (HttpRequest request) => Submit(request.HttpContext, tasks));
            app.MapGet("/api/v1/tasks/{taskId}", (string taskId, HttpRequest request) => Poll(request.HttpContext, taskId, tasks));
            app.MapGet("/results/{taskId}/{index:int}.png", (string taskId, int index) =>
                tasks.TryGetValue(taskId, out var task) ? Results.Bytes(TestImages.Png(task.Width, task.Height), "image/png") : Results.NotFound());
        });
    }

    private static async Task<IResult> Submit(HttpContext context, ConcurrentDictionary<string, FakeTask> tasks)
    {
        if (context.Request.Headers.Authorization.ToString() != $"Bearer {ApiKey}")
        {
            return Error(401, "InvalidApiKey", "Invalid API-key provided.");
        }

        if (context.Request.Headers["X-DashScope-Async"].ToString() != "enable")
        {
            return Error(403, "AccessDenied", "current user api does not support synchronous calls.");
        }

        JsonElement body;
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body);
            body = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return Error(400, "InvalidParameter", "The request body is not valid JSON.");
        }

        var model = Text(body, "model");
        if (model is null || !Models.Contains(model))
        {
            return Error(400, "InvalidParameter", "Model not exist.");
        }

        var prompt = body.TryGetProperty("input", out var input) ? Text(input, "prompt") : null;
        if (string.IsNullOrEmpty(prompt))
        {
            return Error(400, "InvalidParameter", "Field required: input.prompt");
        }

        var parameters = body.TryGetProperty("parameters", out var p) ? p : default;
        var size = parameters.ValueKind == JsonValueKind.Object ? Text(parameters, "size") ?? "1024*1024" : "1024*1024";
        if (ParseSize(size, model) is not { } dimensions)
        {
            return Error(400, "InvalidParameter", $"The size is not match the allowed size ['{size}']");
        }

        var n = parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty("n", out var nValue) ? nValue.GetInt32() : 4;
        if (n is < 1 or > 4)
        {
            return Error(400, "InvalidParameter", "n should be between 1 and 4.");
        }

        if (parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty("seed", out var seed) && (!seed.TryGetInt64(out var s) || s < 0 || s > int.MaxValue))
        {
            return Error(400, "InvalidParameter", "seed should be between 0 and 2147483647.");
        }

        if (prompt.Contains("refuse", StringComparison.Ordinal))
        {
            return Error(400, "DataInspectionFailed", "Input data may contain inappropriate content.");
        }

        if (prompt.Contains("overdue", StringComparison.Ordinal))
        {
            return Error(400, "Arrearage", "Access denied, please make sure your account is in good standing.");
        }

        if (prompt.Contains("no-access", StringComparison.Ordinal))
        {
            return Error(403, "AccessDenied", "Access denied.");
        }

        if (prompt.Contains("throttle", StringComparison.Ordinal))
        {
            context.Response.Headers.RetryAfter = "7";
            return Error(429, "Throttling.RateQuota", "Requests rate limit exceeded, please try again later.");
        }

        if (prompt.Contains("server-error", StringComparison.Ordinal))
        {
            return Error(500, "InternalError", "An internal error has occured, please try again later or contact service support.");
        }

        var task = new FakeTask(Guid.NewGuid().ToString(), prompt, n, dimensions.Width, dimensions.Height);
        tasks[task.Id] = task;
        return Results.Json(new { request_id = Guid.NewGuid().ToString(), output = new { task_id = task.Id, task_status = "PENDING" } });
    }

    private static IResult Poll(HttpContext context, string taskId, ConcurrentDictionary<string, FakeTask> tasks)
    {
        if (context.Request.Headers.Authorization.ToString() != $"Bearer {ApiKey}")
        {
            return Error(401, "InvalidApiKey", "Invalid API-key provided.");
        }

        if (!tasks.TryGetValue(taskId, out var task))
        {
            return Results.Json(new { request_id = Guid.NewGuid().ToString(), output = new { task_id = taskId, task_status = "UNKNOWN" } });
        }

        var poll = Interlocked.Increment(ref task.Polls);
        if (task.Prompt.Contains("poll-unavailable", StringComparison.Ordinal) && poll <= 4)
        {
            return Error(503, "ServiceUnavailable", "The service is temporarily unavailable.");
        }

        var doneAt = task.Prompt.Contains("slow", StringComparison.Ordinal) ? 5 : task.Prompt.Contains("poll-unavailable", StringComparison.Ordinal) ? 6 : 2;
        if (task.Prompt.Contains("never", StringComparison.Ordinal) || poll < doneAt)
        {
            return Status(taskId, "RUNNING");
        }

        if (task.Prompt.Contains("unsafe-output", StringComparison.Ordinal))
        {
            return Status(taskId, "FAILED", code: "DataInspectionFailed", message: "Output data may contain inappropriate content.");
        }

        if (task.Prompt.Contains("task-error", StringComparison.Ordinal))
        {
            return Status(taskId, "FAILED", code: "InternalError.Algo", message: "An internal error occurred in the algorithm service.");
        }

        if (task.Prompt.Contains("canceled", StringComparison.Ordinal))
        {
            return Status(taskId, "CANCELED");
        }

        var origin = $"{context.Request.Scheme}://{context.Request.Host}";
        var results = Enumerable.Range(0, task.N).Select(i => i == 0 && task.Prompt.Contains("one-result-fails", StringComparison.Ordinal)
            ? (object)new { code = "DataInspectionFailed", message = "Output data may contain inappropriate content." }
            : new { orig_prompt = task.Prompt, actual_prompt = task.Prompt + ", detailed", url = $"{origin}/results/{task.Id}/{i}.png" }).ToList();
        var succeeded = task.Prompt.Contains("one-result-fails", StringComparison.Ordinal) ? task.N - 1 : task.N;
        return Results.Json(new
        {
            request_id = Guid.NewGuid().ToString(),
            output = new
            {
                task_id = task.Id,
                task_status = "SUCCEEDED",
                submit_time = "2026-11-02 10:15:01.123",
                scheduled_time = "2026-11-02 10:15:01.456",
                end_time = "2026-11-02 10:15:09.789",
                results,
                task_metrics = new Dictionary<string, int> { ["TOTAL"] = task.N, ["SUCCEEDED"] = succeeded, ["FAILED"] = task.N - succeeded },
            },
            usage = new { image_count = succeeded },
        });
    }

    private static IResult Status(string taskId, string status, string? code = null, string? message = null) =>
        Results.Json(new
        {
            request_id = Guid.NewGuid().ToString(),
            output = code is null
                ? (object)new { task_id = taskId, task_status = status }
                : new { task_id = taskId, task_status = status, code, message },
        });

    private static (int Width, int Height)? ParseSize(string size, string model)
    {
        var parts = size.Split('*');
        if (parts.Length != 2 || !int.TryParse(parts[0], out var w) || !int.TryParse(parts[1], out var h))
        {
            return null;
        }

        if (model == Wan25)
        {
            var pixels = (long)w * h;
            var ratio = (double)w / h;
            return pixels is >= 768 * 768 and <= 1440 * 1440 && ratio is >= 0.25 and <= 4 ? (w, h) : null;
        }

        return w is >= 512 and <= 1440 && h is >= 512 and <= 1440 ? (w, h) : null;
    }

    private static IResult Error(int status, string code, string message) =>
        Results.Json(new { request_id = Guid.NewGuid().ToString(), code, message }, statusCode: status);

    private static string? Text(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private sealed class FakeTask(string id, string prompt, int n, int width, int height)
    {
        public int Polls;

        public string Id { get; } = id;

        public string Prompt { get; } = prompt;

        public int N { get; } = n;

        public int Width { get; } = width;

        public int Height { get; } = height;
    }
}
