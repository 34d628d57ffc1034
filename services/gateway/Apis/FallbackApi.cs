namespace ImageGen.Gateway.Apis;

public static class FallbackApi
{
    /// <summary>Anything no route matched: a 404 that says where the API is, instead of an empty body.</summary>
    public static IEndpointRouteBuilder MapUnknownRoutes(this IEndpointRouteBuilder app)
    {
        app.MapFallback(context => GatewayProblems.WriteAsync(context, StatusCodes.Status404NotFound, "Not found",
            $"No API at {context.Request.Method} {context.Request.Path}. The API is under /v1/jobs, /v1/images/generations, /v1/providers, /v1/stats and /files/{{key}}; its reference is at /scalar/v1."));
        return app;
    }
}
