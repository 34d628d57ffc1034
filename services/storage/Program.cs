using ImageGen.Storage.Apis;
using ImageGen.Storage.Extensions;
using ImageGen.Storage.Grpc;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddStorage();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapGrpcService<ObjectStorageService>();
app.MapFilesApi();
app.MapDefaultEndpoints();

app.Run();
