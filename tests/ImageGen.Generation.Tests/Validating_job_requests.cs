using ImageGen.Contracts;
using ImageGen.Generation.Model;
using ImageGen.Generation.Providers;
using ImageGen.Generation.Validation;
using Microsoft.Extensions.Options;

namespace ImageGen.Generation.Tests;

public class Validating_job_requests
{
    private readonly JobRequestValidator _validator = new(new ProviderCatalog(new StaticOptions(new ProviderCatalogOptions()), new WorkersRunning()));

    private Dictionary<string, string[]> ErrorsFor(CreateJobRequest request)
    {
        var (job, errors) = _validator.Validate(request);
        Assert.Null(job);
        return errors;
    }

    [Fact]
    public void A_prompt_alone_gets_the_default_provider_model_size_and_a_recorded_seed()
    {
        var (job, errors) = _validator.Validate(new CreateJobRequest("  a red fox in snow "));

        Assert.Empty(errors);
        Assert.NotNull(job);
        Assert.Equal("builtin", job.Provider.Id);
        Assert.Equal("procedural-v1", job.Model.Id);
        Assert.Equal("a red fox in snow", job.Request.Prompt);
        Assert.Equal((1024, 1024, 1, "png"), (job.Request.Width, job.Request.Height, job.Request.N, job.Request.OutputFormat));
        Assert.InRange(job.Request.Seed, 0, uint.MaxValue);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void A_missing_or_empty_prompt_is_refused(string? prompt)
    {
        var errors = ErrorsFor(new CreateJobRequest(prompt));
        Assert.Contains("prompt is required", Assert.Single(errors["prompt"]));
    }

    [Fact]
    public void A_prompt_over_4000_characters_is_refused_with_its_length()
    {
        var errors = ErrorsFor(new CreateJobRequest(new string('a', 4001)));
        Assert.Contains("4001 characters", Assert.Single(errors["prompt"]));
    }

    [Fact]
    public void A_prompt_of_exactly_4000_characters_is_accepted()
    {
        var (job, _) = _validator.Validate(new CreateJobRequest(new string('a', 4000)));
        Assert.NotNull(job);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(100)]
    [InlineData(-1)]
    public void An_image_count_outside_1_to_4_is_refused(int n)
    {
        var errors = ErrorsFor(new CreateJobRequest("fox", N: n));
        Assert.Contains("between 1 and 4", Assert.Single(errors["n"]));
    }

    [Theory]
    [InlineData("10x10", "outside what builtin/procedural-v1 accepts")]
    [InlineData("99999x2", "outside what builtin/procedural-v1 accepts")]
    [InlineData("4097x1024", "outside")]
    [InlineData("1024", "not of the form WIDTHxHEIGHT")]
    [InlineData("big", "not of the form WIDTHxHEIGHT")]
    [InlineData("-5x10", "not of the form WIDTHxHEIGHT")]
    [InlineData("123456x2", "not of the form WIDTHxHEIGHT")]
    public void A_size_that_is_malformed_or_out_of_range_is_refused(string size, string expected)
    {
        var errors = ErrorsFor(new CreateJobRequest("fox", Size: size));
        Assert.Contains(expected, Assert.Single(errors["size"]));
    }

    [Theory]
    [InlineData("512x768", 512, 768)]
    [InlineData("64X4096", 64, 4096)]
    [InlineData("auto", 1024, 1024)]
    public void A_size_within_range_is_applied(string size, int width, int height)
    {
        var (job, _) = _validator.Validate(new CreateJobRequest("fox", Size: size));
        Assert.Equal((width, height), (job!.Request.Width, job.Request.Height));
    }

    [Fact]
    public void An_unknown_provider_is_refused_naming_the_known_ones()
    {
        var errors = ErrorsFor(new CreateJobRequest("fox", Provider: "nope"));
        var error = Assert.Single(errors["provider"]);
        Assert.StartsWith("unknown provider 'nope'. Known providers: builtin, openai, ", error);
        Assert.Contains("stability", error);
    }

    [Fact]
    public void An_unknown_model_of_a_known_provider_is_refused_naming_its_models()
    {
        var errors = ErrorsFor(new CreateJobRequest("fox", Provider: "builtin", Model: "sdxl"));
        Assert.Contains("Its models: procedural-v1", Assert.Single(errors["model"]));
    }

    [Fact]
    public void An_unknown_model_alone_is_refused_naming_the_known_models()
    {
        var errors = ErrorsFor(new CreateJobRequest("fox", Model: "midjourney-v7"));
        Assert.Contains("builtin/procedural-v1", Assert.Single(errors["model"]));
    }

    [Theory]
    [InlineData("builtin/procedural-v1")]
    [InlineData("procedural-v1")]
    [InlineData("builtin")]
    public void A_model_may_be_named_as_provider_slash_model_as_a_model_id_or_as_a_provider(string model)
    {
        var (job, _) = _validator.Validate(new CreateJobRequest("fox", Model: model));
        Assert.Equal(("builtin", "procedural-v1"), (job!.Provider.Id, job.Model.Id));
    }

    [Fact]
    public void A_disabled_provider_is_refused_with_the_reason()
    {
        var options = new ProviderCatalogOptions();
        options.Settings["builtin"] = new ProviderSettings { Enabled = false };
        var validator = new JobRequestValidator(new ProviderCatalog(new StaticOptions(options), new WorkersRunning()));

        var (job, errors) = validator.Validate(new CreateJobRequest("fox"));

        Assert.Null(job);
        Assert.Contains("disabled by configuration", Assert.Single(errors["provider"]));
    }

    [Theory]
    [InlineData("gif")]
    [InlineData("bmp")]
    public void An_unknown_output_format_is_refused(string format)
    {
        var errors = ErrorsFor(new CreateJobRequest("fox", OutputFormat: format));
        Assert.Contains("use png, jpeg or webp", Assert.Single(errors["output_format"]));
    }

    [Fact]
    public void A_provider_with_no_running_worker_is_refused_saying_so()
    {
        var validator = new JobRequestValidator(new ProviderCatalog(new StaticOptions(new ProviderCatalogOptions()), new NoWorkers()));

        var (job, errors) = validator.Validate(new CreateJobRequest("fox"));

        Assert.Null(job);
        Assert.Contains("No worker for provider 'builtin' is running", Assert.Single(errors["provider"]));
    }

    [Fact]
    public void The_applied_parameters_and_a_free_estimate_are_recorded_without_warnings_when_nothing_was_adjusted()
    {
        var (job, _) = _validator.Validate(new CreateJobRequest("fox", Size: "640x480", Strict: true));

        Assert.Empty(job!.Request.Warnings!);
        Assert.Equal(0m, job.Request.EstimatedCostUsd);
        Assert.True(job.Request.Strict);
    }

    [Fact]
    public void Jpg_is_taken_as_jpeg()
    {
        var (job, _) = _validator.Validate(new CreateJobRequest("fox", OutputFormat: "JPG"));
        Assert.Equal("jpeg", job!.Request.OutputFormat);
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(4294967296L)]
    public void A_seed_outside_32_bits_is_refused(long seed)
    {
        var errors = ErrorsFor(new CreateJobRequest("fox", Seed: seed));
        Assert.Contains("between 0 and 4294967295", Assert.Single(errors["seed"]));
    }

    [Fact]
    public void A_given_seed_is_kept()
    {
        var (job, _) = _validator.Validate(new CreateJobRequest("fox", Seed: 42));
        Assert.Equal(42, job!.Request.Seed);
    }

    [Fact]
    public void Oversized_metadata_is_refused()
    {
        var metadata = Enumerable.Range(0, 17).ToDictionary(i => $"k{i}", i => "v");
        metadata["k0"] = new string('x', 513);
        var errors = ErrorsFor(new CreateJobRequest("fox", Metadata: metadata));
        Assert.Equal(2, errors["metadata"].Length);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var errors = ErrorsFor(new CreateJobRequest("", N: 0, Size: "10x10", OutputFormat: "gif"));
        Assert.Equal(["n", "output_format", "prompt", "size"], errors.Keys.Order());
    }

    private sealed class WorkersRunning : IProviderStatusSource
    {
        public IReadOnlyList<ProviderWorkerStatus> Get(string providerId) => [new(providerId, "test", true, DateTimeOffset.UtcNow)];
    }

    private sealed class NoWorkers : IProviderStatusSource
    {
        public IReadOnlyList<ProviderWorkerStatus> Get(string providerId) => [];
    }

    private sealed class StaticOptions(ProviderCatalogOptions value) : IOptionsMonitor<ProviderCatalogOptions>
    {
        public ProviderCatalogOptions CurrentValue => value;

        public ProviderCatalogOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<ProviderCatalogOptions, string?> listener) => null;
    }
}
