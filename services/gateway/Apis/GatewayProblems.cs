using Microsoft.AspNetCore.Mvc;

namespace ImageGen.Gateway.Apis;

/// <summary>Errors the gateway answers itself, as problem+json like every service behind it.</summary>
public static class GatewayProblems
{
    public static async Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }
}
