using ImageGen.Contracts;
using ImageGen.Generation.Data;
using ImageGen.Generation.Model;
using ImageGen.Generation.Notifications;
using ImageGen.Generation.Storage;
using ImageGen.Generation.Validation;
using ImageGen.ServiceDefaults.Security;
using Microsoft.Extensions.Options;

namespace ImageGen.Generation.Apis;

/// <summary>
/// Body of the OpenAI-compatible <c>POST /v1/images/generations</c>. Fields OpenAI defines that mean
/// nothing here (quality, style, user, …) are accepted and ignored so official SDKs work unchanged.
/// </summary>
public sealed record OpenAiImageRequest(
    string? Prompt,
    string? Model = null,
    int? N = null,
    string? Size = null,
    string? ResponseFormat = null,
    string? OutputFormat = null,
    string? NegativePrompt = null,
    long? Seed = null,
    string? Quality = null,
    string? Style = null,
    string? User = null);

public sealed record OpenAiImage(string? Url, string? B64Json);

public sealed record OpenAiImagesResponse(long Created, IReadOnlyList<OpenAiImage> Data);

/// <summary>
/// The OpenAI Images API shape over the job pipeline: submits a job and waits for it (bounded).
/// Errors are problem+json that also carry OpenAI's <c>error</c> object, which the SDKs read.
/// </summary>
public static class OpenAiImagesApi
{
    public const string JobIdHeader = "X-ImageGen-Job-Id";

    public static IEndpointRouteBuilder MapOpenAiImagesApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/images/generations", CreateImage)
            .WithTags("OpenAI compatible")
            .WithName("CreateImageOpenAi")
            .WithSummary("Generate images and wait for them (OpenAI Images API shape)")
            .WithDescription("`model` takes \"provider/model\", a model id, or a provider id. Answers 504 with the job id if the job outlasts Generation:SyncTimeout; the job carries on and can be polled.")
            .Accepts<OpenAiImageRequest>("application/json")
            .Produces<OpenAiImagesResponse>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status504GatewayTimeout);
        return app;
    }

    public static async Task<IResult> CreateImage(
        HttpContext context,
        JobRequestValidator validator,
        JobService jobService,
        CredentialSealer sealer,
        JobRepository jobs,
        JobCompletionNotifier notifier,
        ImageReader images,
        PublicUrls urls,
        IOptions<GenerationOptions> options)
    {
        var cancellationToken = context.RequestAborted;
        var (idempotencyKey, keyFormatProblem) = IdempotencyKeys.Read(context);
        if (keyFormatProblem is Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult fp)
        {
            return Error(fp.StatusCode, fp.ProblemDetails.Title!, fp.ProblemDetails.Detail!, "invalid_request");
        }

        var (request, problem) = await JsonBody.ReadAsync<OpenAiImageRequest>(context, rejectUnknownFields: false);
        if (problem is not null)
        {
            return problem is Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult p
                ? Error(p.StatusCode, p.ProblemDetails.Title!, p.ProblemDetails.Detail!, "invalid_request")
                : problem;
        }

        var responseFormat = request!.ResponseFormat?.Trim().ToLowerInvariant() ?? "url";
        if (responseFormat is not ("url" or "b64_json"))
        {
            return Error(StatusCodes.Status400BadRequest, "The request is invalid", $"response_format '{request.ResponseFormat}' is not supported; use 'url' or 'b64_json'.", "invalid_request", "response_format");
        }

        var (ownKey, keyProblem) = JobsApi.ReadOwnKey(context, sealer);
        if (keyProblem is Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult kp)
        {
            return Error(kp.StatusCode, kp.ProblemDetails.Title!, kp.ProblemDetails.Detail!, "invalid_request");
        }

        var (validated, errors) = validator.Validate(
            new CreateJobRequest(request.Prompt, request.NegativePrompt, Provider: null, request.Model, request.Size, request.N, request.Seed, request.OutputFormat),
            hasOwnKey: ownKey is not null);
        if (validated is null)
        {
            var first = errors.First();
            var detail = string.Join(" ", errors.SelectMany(e => e.Value));
            return TypedResults.ValidationProblem(errors, detail: detail, title: "The request is invalid",
                extensions: new Dictionary<string, object?> { ["error"] = OpenAiError(StatusCodes.Status400BadRequest, detail, "invalid_request", first.Key) });
        }

        var claim = idempotencyKey is null
            ? null
            : new IdempotencyClaim(idempotencyKey, IdempotencyKeys.Fingerprint("images/generations", request, ownKey is not null));
        var job = await jobService.CreateAsync(validated, JobService.AnonymousOwner, ownKey, cancellationToken, claim);
        if (job.KeyConflict)
        {
            var conflict = (Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult)IdempotencyKeys.Conflict(idempotencyKey!);
            return Error(StatusCodes.Status409Conflict, conflict.ProblemDetails.Title!, conflict.ProblemDetails.Detail!, "invalid_request");
        }

        if (job.Replayed)
        {
            context.Response.Headers[IdempotencyKeys.ReplayedHeader] = "true";
        }

        context.Response.Headers[JobIdHeader] = job.JobId.ToString();

        var finished = await notifier.WaitAsync(
            job.JobId,
            options.Value.SyncTimeout,
            async ct => await jobs.GetStatusAsync(job.JobId, ct) is { } status && JobStatus.IsTerminal(status),
            cancellationToken);
        if (!finished)
        {
            context.Response.Headers.Location = urls.Job(job.JobId);
            return Error(StatusCodes.Status504GatewayTimeout, "Generation is taking longer than this request may wait",
                $"Job {job.JobId} is still running after {options.Value.SyncTimeout.TotalSeconds:0} s. It carries on: poll GET /v1/jobs/{job.JobId} for its images.", ErrorCodes.Timeout,
                extra: ("job_id", job.JobId));
        }

        var done = (await jobs.GetAsync(job.JobId, JobService.AnonymousOwner, cancellationToken))!;
        if (done.Status != JobStatus.Succeeded)
        {
            var code = done.Error?.Code ?? ErrorCodes.Internal;
            return Error(StatusForError(code), "Image generation failed", done.Error?.Message ?? $"The job ended {done.Status}.", code, extra: ("job_id", job.JobId));
        }

        var data = new List<OpenAiImage>(done.Images.Count);
        foreach (var image in done.Images)
        {
            data.Add(responseFormat == "url"
                ? new OpenAiImage(urls.File(image.StorageKey), null)
                : new OpenAiImage(null, Convert.ToBase64String(await images.ReadAsync(image.StorageKey, cancellationToken))));
        }

        return TypedResults.Ok(new OpenAiImagesResponse(done.CreatedAt.ToUnixTimeSeconds(), data));
    }

    /// <summary>HTTP status an OpenAI client expects for each unified error code.</summary>
    public static int StatusForError(string code) => code switch
    {
        ErrorCodes.InvalidRequest or ErrorCodes.ContentPolicy => StatusCodes.Status400BadRequest,
        ErrorCodes.RateLimited => StatusCodes.Status429TooManyRequests,
        ErrorCodes.ProviderUnavailable => StatusCodes.Status503ServiceUnavailable,
        ErrorCodes.Timeout => StatusCodes.Status504GatewayTimeout,
        // The gateway's own provider credentials or credit failed: not the caller's fault.
        _ => StatusCodes.Status502BadGateway,
    };

    private static IResult Error(int status, string title, string detail, string code, string? param = null, (string Key, object Value)? extra = null)
    {
        var extensions = new Dictionary<string, object?> { ["error"] = OpenAiError(status, detail, code, param) };
        if (extra is { } e)
        {
            extensions[e.Key] = e.Value;
        }

        return TypedResults.Problem(statusCode: status, title: title, detail: detail, extensions: extensions);
    }

    private static Dictionary<string, object?> OpenAiError(int status, string message, string code, string? param) => new()
    {
        ["message"] = message,
        ["type"] = status switch
        {
            StatusCodes.Status429TooManyRequests => "rate_limit_error",
            >= 500 => "server_error",
            _ => "invalid_request_error",
        },
        ["param"] = param,
        ["code"] = code,
    };
}
