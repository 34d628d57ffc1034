using System.Security.Cryptography;
using System.Text;
using ImageGen.Generation.Providers;
using ImageGen.Generation.Resilience;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ImageGen.Generation.Apis;

/// <summary>The operator's key for /v1/admin, bound from <c>Admin</c>. Without one the admin API is off.</summary>
public sealed class AdminOptions
{
    public const string SectionName = "Admin";

    public string? ApiKey { get; set; }
}

/// <param name="Model">A model id of the provider, or "*" for all of them.</param>
/// <param name="Mode">auto | forced_open | forced_closed.</param>
public sealed record SetCircuitRequest(string? Model, string? Mode, string? Reason);

public sealed record CircuitList(string Object, IReadOnlyList<CircuitSnapshot> Data);

/// <summary>Operator controls: see every circuit breaker, and hold one open or closed by hand.</summary>
public static class AdminApi
{
    public const string KeyHeader = "X-Admin-Key";
    public const int MaxReasonLength = 500;

    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/admin").WithTags("Admin").AddEndpointFilter(RequireAdminKey)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/circuits", ListCircuits)
            .WithName("ListCircuits")
            .WithSummary("List the circuit breakers that have state, for every provider")
            .WithDescription($"Models not listed are closed. A provider-wide override shows as model '*'. Needs the {KeyHeader} header.");

        api.MapPut("/providers/{provider}/circuit", SetCircuit)
            .WithName("SetCircuit")
            .WithSummary("Hold a provider's circuit open or closed by hand, or hand it back to automatic control")
            .WithDescription($"Body: {{\"model\": \"*\" or a model id, \"mode\": \"auto\" | \"forced_open\" | \"forced_closed\", \"reason\": \"...\"}}. Applies to every generation replica at once; answers the resulting circuit(s). Needs the {KeyHeader} header.")
            .Accepts<SetCircuitRequest>("application/json")
            .Produces<CircuitList>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        return app;
    }

    public static async Task<Ok<CircuitList>> ListCircuits(ProviderCatalog catalog, ICircuitBreakers circuits, CancellationToken ct)
    {
        var providers = catalog.All().Select(a => a.Provider).ToList();
        var lists = await Task.WhenAll(providers.Select(p => circuits.ListAsync(p.Id, ct)));
        var data = providers.Zip(lists, (p, list) => list.Select(c => Canonical(p, c))).SelectMany(c => c).ToList();
        return TypedResults.Ok(new CircuitList("list", data));
    }

    public static async Task<IResult> SetCircuit(
        string provider, HttpContext context, ProviderCatalog catalog, ICircuitBreakers circuits, ILoggerFactory loggers, CancellationToken ct)
    {
        if (catalog.Find(provider)?.Provider is not { } descriptor)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status404NotFound,
                title: "Provider not found",
                detail: $"There is no provider '{provider}'. Known providers: {string.Join(", ", catalog.All().Select(p => p.Provider.Id))}.");
        }

        var (request, problem) = await JsonBody.ReadAsync<SetCircuitRequest>(context, rejectUnknownFields: true);
        if (problem is not null)
        {
            return problem;
        }

        var models = string.Join(", ", descriptor.Models.Select(m => $"'{m.Id}'"));
        if (string.IsNullOrWhiteSpace(request!.Model))
        {
            return BadRequest($"Name the model: \"*\" for every model of '{descriptor.Id}', or one of {models}.");
        }

        var model = request.Model.Trim() == CircuitNames.AllModels ? CircuitNames.AllModels : descriptor.FindModel(request.Model.Trim())?.Id;
        if (model is null)
        {
            return BadRequest($"Provider '{descriptor.Id}' has no model '{request.Model}'. Use \"*\" for every model, or one of {models}.");
        }

        if (!CircuitNames.TryParseMode(request.Mode, out var mode))
        {
            return BadRequest($"mode must be \"{CircuitNames.ForcedOpen}\" (send nothing), \"{CircuitNames.ForcedClosed}\" (send everything whatever fails) or \"{CircuitNames.Auto}\" (back to automatic breaking, starting closed); got {(request.Mode is null ? "none" : $"\"{request.Mode}\"")}.");
        }

        if (request.Reason?.Length > MaxReasonLength)
        {
            return BadRequest($"reason is {request.Reason.Length} characters; keep it to {MaxReasonLength}.");
        }

        try
        {
            await circuits.SetManualAsync(descriptor.Id, model, mode.Value, request.Reason, ct);
        }
        catch (CircuitStateUnavailableException ex)
        {
            loggers.CreateLogger(typeof(AdminApi)).LogError(ex, "Could not set the circuit of {Provider}/{Model}", descriptor.Id, model);
            return TypedResults.Problem(
                statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "Circuit state unavailable",
                detail: "The shared circuit state (Redis) cannot be reached, so nothing was changed. Check Redis and send the request again.");
        }

        IEnumerable<string> affected = model == CircuitNames.AllModels ? descriptor.Models.Select(m => m.Id) : [model];
        var snapshots = await Task.WhenAll(affected.Select(m => circuits.GetAsync(descriptor.Id, m, ct)));
        return TypedResults.Ok(new CircuitList("list", snapshots));
    }

    /// <summary>Checks the operator's key; null when the request may go on.</summary>
    public static ProblemHttpResult? CheckAdminKey(string? configuredKey, string? presentedKey)
    {
        if (string.IsNullOrWhiteSpace(configuredKey))
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status404NotFound,
                title: "Admin API disabled",
                detail: $"admin API disabled: set Admin:ApiKey (environment variable Admin__ApiKey) on the generation service, then send it in the {KeyHeader} header.");
        }

        // Hashing first gives equal lengths, so the comparison's time says nothing about the key, not even its length.
        if (presentedKey is null || !CryptographicOperations.FixedTimeEquals(
                SHA256.HashData(Encoding.UTF8.GetBytes(presentedKey)), SHA256.HashData(Encoding.UTF8.GetBytes(configuredKey))))
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status401Unauthorized,
                title: "Admin key required",
                detail: presentedKey is null
                    ? $"Send the operator's admin key (Admin:ApiKey) in the {KeyHeader} header."
                    : $"The {KeyHeader} header does not hold the admin key configured as Admin:ApiKey.");
        }

        return null;
    }

    private static async ValueTask<object?> RequireAdminKey(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var configured = http.RequestServices.GetRequiredService<IOptionsMonitor<AdminOptions>>().CurrentValue.ApiKey;
        var presented = http.Request.Headers[KeyHeader];
        return CheckAdminKey(configured, presented.Count == 1 ? presented[0] : null) ?? await next(context);
    }

    private static ProblemHttpResult BadRequest(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid circuit change", detail: detail);

    // Circuits are stored under lower-case ids; show the catalog's spelling.
    private static CircuitSnapshot Canonical(ProviderDescriptor provider, CircuitSnapshot circuit) =>
        circuit with { Provider = provider.Id, Model = provider.FindModel(circuit.Model)?.Id ?? circuit.Model };
}
