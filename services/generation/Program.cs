using ImageGen.Generation.Apis;
using ImageGen.Generation.Extensions;
using Scalar.AspNetCore;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();
app.UseForwardedHeaders();
app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapOpenApi();
app.MapScalarApiReference();
app.MapJobsApi();
app.MapOpenAiImagesApi();
app.MapProvidersApi();
app.MapAdminApi();
app.MapDefaultEndpoints();

app.Run();
