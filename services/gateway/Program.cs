using ImageGen.Gateway.Apis;
using ImageGen.Gateway.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddGatewayServices();

var app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseRateLimiter();
app.UseRequestTimeouts();

app.MapReverseProxy(pipeline => pipeline.UseGatewayGuards());
app.MapUnknownRoutes();
app.MapDefaultEndpoints();

app.Run();
