using ImageGen.Generation.Providers;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ImageGen.Generation.Apis;

public sealed record SizeRange(int MinWidth, int MaxWidth, int MinHeight, int MaxHeight, string Default);

public sealed record ModelCapabilitiesView(SizeRange Sizes, int MaxImages, bool Seed, bool NegativePrompt, IReadOnlyList<string> OutputFormats);

public sealed record ModelView(string Id, string Name, string Description, ModelCapabilitiesView Capabilities);

public sealed record ProviderView(
    string Id,
    string Object,
    string Name,
    string Description,
    bool Available,
    string? UnavailableReason,
    string DefaultModel,
    IReadOnlyList<ModelView> Models)
{
    public static ProviderView From(ProviderAvailability availability)
    {
        var p = availability.Provider;
        return new ProviderView(p.Id, "provider", p.Name, p.Description, availability.Available, availability.UnavailableReason, p.DefaultModel,
            p.Models.Select(m =>
            {
                var c = m.Capabilities;
                return new ModelView(m.Id, m.Name, m.Description, new ModelCapabilitiesView(
                    new SizeRange(c.MinWidth, c.MaxWidth, c.MinHeight, c.MaxHeight, $"{c.DefaultWidth}x{c.DefaultHeight}"),
                    c.MaxImages, c.SupportsSeed, c.SupportsNegativePrompt, c.OutputFormats));
            }).ToList());
    }
}

public sealed record ProviderList(string Object, IReadOnlyList<ProviderView> Data);

/// <summary>The provider registry: which providers exist, their models, what each can do, whether it is up.</summary>
public static class ProvidersApi
{
    public static IEndpointRouteBuilder MapProvidersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/providers").WithTags("Providers");
        api.MapGet("/", (ProviderCatalog catalog) => TypedResults.Ok(new ProviderList("list", catalog.All().Select(ProviderView.From).ToList())))
            .WithName("ListProviders")
            .WithSummary("List providers with their models, capabilities and availability");
        api.MapGet("/{id}", GetProvider)
            .WithName("GetProvider")
            .WithSummary("Get one provider");
        return app;
    }

    public static Results<Ok<ProviderView>, ProblemHttpResult> GetProvider(string id, ProviderCatalog catalog) =>
        catalog.Find(id) is { } provider
            ? TypedResults.Ok(ProviderView.From(provider))
            : TypedResults.Problem(
                statusCode: StatusCodes.Status404NotFound,
                title: "Provider not found",
                detail: $"There is no provider '{id}'. Known providers: {string.Join(", ", catalog.All().Select(p => p.Provider.Id))}.");
}
