using System.Globalization;
using System.Threading.RateLimiting;
using ImageGen.Gateway.Apis;

namespace ImageGen.Gateway.Extensions;

public static class Extensions
{
    public const string PerClientRateLimitPolicy = "per-client";

    public static IHostApplicationBuilder AddGatewayServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;

        // Routes and clusters live in configuration (ReverseProxy section); destinations such as
        // http://generation are resolved by service discovery.
        services.AddReverseProxy()
            .LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"))
            .AddServiceDiscoveryDestinationResolver();

        services.AddRequestTimeouts();

        var permitsPerMinute = builder.Configuration.GetValue("Gateway:RateLimit:PermitsPerMinute", 600);
        services.AddRateLimiter(options =>
        {
            options.AddPolicy(PerClientRateLimitPolicy, context => RateLimitPartition.GetFixedWindowLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = permitsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            options.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
                context.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await GatewayProblems.WriteAsync(context.HttpContext, StatusCodes.Status429TooManyRequests, "Too many requests",
                    $"This client may make {permitsPerMinute} requests a minute. Retry after {Math.Ceiling(retryAfter.TotalSeconds)} s.");
            };
        });

        return builder;
    }
}
