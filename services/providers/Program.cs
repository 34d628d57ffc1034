var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

// A web host only so that /health and /alive answer; the work arrives over the message bus.
var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
