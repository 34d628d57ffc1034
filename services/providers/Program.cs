using ImageGen.Providers.Apis;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

// The work arrives over the message bus; HTTP serves the probes and providers' webhooks.
var app = builder.Build();

app.MapDefaultEndpoints();
app.MapWebhooksApi();

app.Run();
