using System.Text.Json.Nodes;
using ImageGen.Generation.Providers;
using ImageGen.Generation.Resilience;
using ImageGen.Generation.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace ImageGen.Generation.Apis;

public sealed record SizesView(string Accepts, string Default, IReadOnlyList<string>? Sizes);

public sealed record PricingView(decimal? PerImageUsd, decimal? PerMegapixelUsd, string Source);

public sealed record ModelCapabilitiesView(
    SizesView Sizes,
    int MaxImages,
    bool Seed,
    bool NegativePrompt,
    bool ImageInput,
    IReadOnlyList<string> OutputFormats,
    int MaxPromptLength);

/// <summary>A model's circuit breaker: open means jobs for it are held back or routed elsewhere until retry_at.</summary>
public sealed record CircuitView(string State, string Mode, DateTimeOffset? RetryAt)
{
    public static readonly CircuitView Closed = new(CircuitNames.Closed, CircuitNames.Auto, null);

    /// <summary>The model's own circuit, else the provider-wide override, else closed.</summary>
    public static CircuitView For(string modelId, IReadOnlyList<CircuitSnapshot> circuits)
    {
        var circuit = circuits.FirstOrDefault(c => string.Equals(c.Model, modelId, StringComparison.OrdinalIgnoreCase))
            ?? circuits.FirstOrDefault(c => c.Model == CircuitNames.AllModels);
        return circuit is null ? Closed : new CircuitView(circuit.State, circuit.Mode, circuit.RetryAt);
    }
}

public sealed record ModelView(
    string Id, string Name, string Description, ModelCapabilitiesView Capabilities, PricingView Pricing, CircuitView Circuit, JsonObject ParametersSchema);

public sealed record ProviderView(
    string Id,
    string Object,
    string Name,
    string Description,
    bool Available,
    string? UnavailableReason,
    bool CredentialsConfigured,
    bool WorkerRunning,
    string DefaultModel,
    IReadOnlyList<ModelView> Models)
{
    public static ProviderView From(ProviderAvailability availability, IReadOnlyList<CircuitSnapshot> circuits)
    {
        var p = availability.Provider;
        return new ProviderView(p.Id, "provider", p.Name, p.Description, availability.Available, availability.UnavailableReason,
            availability.CredentialsConfigured, availability.WorkerRunning, p.DefaultModel,
            p.Models.Select(m =>
            {
                var c = m.Capabilities;
                return new ModelView(m.Id, m.Name, m.Description,
                    new ModelCapabilitiesView(
                        new SizesView(c.Sizes.Describe(), $"{c.DefaultWidth}x{c.DefaultHeight}", c.Sizes.Enumerate()),
                        c.MaxImages, c.SupportsSeed, c.SupportsNegativePrompt, c.SupportsImageInput, c.OutputFormats, c.MaxPromptLength),
                    new PricingView(c.Pricing.PerImageUsd, c.Pricing.PerMegapixelUsd, c.Pricing.Source),
                    CircuitView.For(m.Id, circuits),
                    ParametersSchema(p, m));
            }).ToList());
    }

    /// <summary>JSON Schema of a POST /v1/jobs body for this model: what a client may send, with its limits.</summary>
    public static JsonObject ParametersSchema(ProviderDescriptor provider, ModelDescriptor model)
    {
        var c = model.Capabilities;
        var size = new JsonObject
        {
            ["type"] = "string",
            ["description"] = $"WIDTHxHEIGHT; {c.Sizes.Describe()}. Other sizes are adjusted to the nearest (a warning is recorded) unless strict is true.",
            ["pattern"] = "^[0-9]{1,5}x[0-9]{1,5}$|^auto$",
            ["default"] = $"{c.DefaultWidth}x{c.DefaultHeight}",
        };
        if (c.Sizes.Enumerate() is { } sizes)
        {
            size["examples"] = new JsonArray(sizes.Select(s => (JsonNode)JsonValue.Create(s)!).ToArray());
        }

        var properties = new JsonObject
        {
            ["prompt"] = new JsonObject { ["type"] = "string", ["minLength"] = 1, ["maxLength"] = Math.Min(c.MaxPromptLength, JobRequestValidator.MaxPromptLength) },
            ["provider"] = new JsonObject { ["const"] = provider.Id },
            ["model"] = new JsonObject { ["enum"] = new JsonArray(model.Id, $"{provider.Id}/{model.Id}") },
            ["size"] = size,
            ["n"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["maximum"] = Math.Min(c.MaxImages, JobRequestValidator.MaxImagesPerJob), ["default"] = 1 },
            ["output_format"] = new JsonObject { ["enum"] = new JsonArray(c.OutputFormats.Select(f => (JsonNode)JsonValue.Create(f)!).ToArray()), ["default"] = c.OutputFormats[0] },
            ["strict"] = new JsonObject { ["type"] = "boolean", ["default"] = false },
            ["metadata"] = new JsonObject
            {
                ["type"] = "object",
                ["maxProperties"] = JobRequestValidator.MaxMetadataEntries,
                ["additionalProperties"] = new JsonObject { ["type"] = "string", ["maxLength"] = JobRequestValidator.MaxMetadataValueLength },
            },
        };
        if (c.SupportsNegativePrompt)
        {
            properties["negative_prompt"] = new JsonObject { ["type"] = "string", ["maxLength"] = JobRequestValidator.MaxPromptLength };
        }

        if (c.SupportsSeed)
        {
            properties["seed"] = new JsonObject { ["type"] = "integer", ["minimum"] = 0, ["maximum"] = c.MaxSeed };
        }

        return new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["title"] = $"{provider.Id}/{model.Id} job request",
            ["type"] = "object",
            ["required"] = new JsonArray("prompt"),
            ["additionalProperties"] = false,
            ["properties"] = properties,
        };
    }
}

public sealed record ProviderList(string Object, IReadOnlyList<ProviderView> Data);

/// <summary>The provider registry: which providers exist, their models, what each can do and costs, whether it is up.</summary>
public static class ProvidersApi
{
    public static IEndpointRouteBuilder MapProvidersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/providers").WithTags("Providers");
        api.MapGet("/", ListProviders)
            .WithName("ListProviders")
            .WithSummary("List providers with their models, capabilities, pricing, availability and circuit breakers");
        api.MapGet("/{id}", GetProvider)
            .WithName("GetProvider")
            .WithSummary("Get one provider, with a JSON Schema of the parameters each model accepts");
        return app;
    }

    public static async Task<Ok<ProviderList>> ListProviders(ProviderCatalog catalog, [FromServices] ICircuitBreakers circuits, CancellationToken ct)
    {
        var providers = catalog.All();
        var states = await Task.WhenAll(providers.Select(p => circuits.ListAsync(p.Provider.Id, ct)));
        return TypedResults.Ok(new ProviderList("list", providers.Zip(states, ProviderView.From).ToList()));
    }

    public static async Task<Results<Ok<ProviderView>, ProblemHttpResult>> GetProvider(
        string id, ProviderCatalog catalog, [FromServices] ICircuitBreakers circuits, CancellationToken ct) =>
        catalog.Find(id) is { } provider
            ? TypedResults.Ok(ProviderView.From(provider, await circuits.ListAsync(provider.Provider.Id, ct)))
            : TypedResults.Problem(
                statusCode: StatusCodes.Status404NotFound,
                title: "Provider not found",
                detail: $"There is no provider '{id}'. Known providers: {string.Join(", ", catalog.All().Select(p => p.Provider.Id))}.");
}
