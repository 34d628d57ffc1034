using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace ImageGen.Gateway.Apis;

/// <summary>
/// Steps added to the proxy pipeline: refuse an oversized body before it is forwarded, and turn
/// forwarding failures (a service down, a body cut short) into problem+json instead of a bare status.
/// </summary>
public static class ProxyGuards
{
    public static async Task RejectOversizedBodies(HttpContext context, Func<Task> next)
    {
        var limit = context.GetReverseProxyFeature().Route.Config.MaxRequestBodySize;
        if (limit is > 0 && context.Request.ContentLength > limit)
        {
            await GatewayProblems.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "Request body too large",
                $"The request body is {context.Request.ContentLength} bytes; this endpoint accepts at most {limit} bytes.");
            return;
        }

        await next();
    }

    public static async Task ReportForwardingErrors(HttpContext context, Func<Task> next)
    {
        await next();

        var error = context.GetForwarderErrorFeature();
        if (error is null || context.Response.HasStarted)
        {
            return;
        }

        if (context.RequestAborted.IsCancellationRequested)
        {
            return; // The client went away; nobody is left to read an answer.
        }

        var route = context.GetReverseProxyFeature();
        var cluster = route.Route.Config.ClusterId;
        var (status, title, detail) = error.Error switch
        {
            ForwarderError.RequestBodyClient when error.Exception is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
                (StatusCodes.Status413PayloadTooLarge, "Request body too large", $"The request body is larger than the {route.Route.Config.MaxRequestBodySize} bytes this endpoint accepts."),
            ForwarderError.RequestBodyClient =>
                (StatusCodes.Status400BadRequest, "Request body incomplete", "The request body could not be read to its end; send it again."),
            ForwarderError.RequestTimedOut =>
                (StatusCodes.Status504GatewayTimeout, "Upstream timeout", $"The {cluster} service did not answer in time. If this was a generation, its job may still finish: list your jobs with GET /v1/jobs."),
            ForwarderError.NoAvailableDestinations =>
                (StatusCodes.Status503ServiceUnavailable, "Service unavailable", $"No instance of the {cluster} service is available. Retry shortly."),
            _ => (StatusCodes.Status502BadGateway, "Bad gateway", $"The {cluster} service could not be reached or broke off its answer ({error.Error}). Retry shortly."),
        };

        context.Response.Clear();
        await GatewayProblems.WriteAsync(context, status, title, detail);
    }

    public static void UseGatewayGuards(this IReverseProxyApplicationBuilder pipeline)
    {
        pipeline.Use(ReportForwardingErrors);
        pipeline.Use(RejectOversizedBodies);
        pipeline.UseSessionAffinity();
        pipeline.UseLoadBalancing();
        pipeline.UsePassiveHealthChecks();
    }
}
