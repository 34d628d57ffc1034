using System.Text.Json.Nodes;
using ImageGen.Providers.Adapters.Http;

namespace ImageGen.Providers.Adapters.ComfyUi;

/// <summary>
/// ComfyUI's failures in the unified vocabulary. <c>POST /prompt</c> refuses a graph with 400
/// <c>{"error": {"type", "message", "details"}, "node_errors": {"&lt;id&gt;": {"class_type", "errors": [{"type", "message", "details"}]}}}</c>
/// (older servers: <c>"error"</c> is a string); a run that breaks shows in its history as <c>status.status_str = "error"</c> with an
/// <c>execution_error</c> (<c>node_id, node_type, exception_type, exception_message</c>) or <c>execution_interrupted</c> message.
/// Source: ComfyUI's <c>server.py</c> and <c>execution.py</c> (github.com/comfyanonymous/ComfyUI).
/// </summary>
internal static class ComfyUiErrors
{
    public static async Task<ProviderException> ReadAsync(HttpResponseMessage response, string server, string path, CancellationToken cancellationToken)
    {
        var error = await ProviderErrorMapper.ReadErrorAsync(response, cancellationToken);
        var status = (int)error.StatusCode;
        return status switch
        {
            400 => ProviderException.InvalidRequest($"{server} refused the workflow (HTTP 400{Refusal(error.Body, error.Message)}"),
            401 or 403 => ProviderException.Authentication(
                $"{server} refused the request (HTTP {status}){Said(error.Message)}. If the server sits behind an authenticating proxy, set " +
                $"{ProviderSettings.ApiKeyConfigurationKey(ComfyUiAdapter.Id)} (user:password for Basic, anything else is sent as a bearer token)."),
            404 => ProviderException.ProviderUnavailable($"{server} has no ComfyUI API at /{path} (HTTP 404): is the base URL that of a ComfyUI server?"),
            _ => ProviderErrorMapper.Map(server, error),
        };
    }

    /// <summary>The <c>node_errors</c> of an accepted prompt (some outputs failed validation): the graph cannot run as the template meant.</summary>
    public static ProviderException FromNodeErrors(JsonObject nodeErrors, string server) =>
        ProviderException.InvalidRequest($"{server} refused part of the workflow: {ProviderMessage.Clean(NodeErrors(nodeErrors))}");

    /// <summary>The history's verdict on a run that ended in error.</summary>
    public static ProviderException FromExecution(JsonObject? status, string server, string promptId)
    {
        foreach (var message in status?["messages"] as JsonArray ?? [])
        {
            if (message is not JsonArray { Count: >= 2 } pair || pair[1] is not JsonObject data)
            {
                continue;
            }

            var node = Node(Text(data, "node_id"), Text(data, "node_type"));
            switch (Text(pair[0]))
            {
                case "execution_error":
                    var type = Text(data, "exception_type");
                    var said = ProviderMessage.Clean(Text(data, "exception_message"));
                    var text = $"{server} failed to run the prompt {promptId}{node}: {(type is null ? string.Empty : $"{type}: ")}{said}".TrimEnd(' ', ':');
                    // Out of memory, a missing model file, a custom node's bug: the server's trouble, which another attempt or provider may not share.
                    return ProviderException.ProviderUnavailable(type?.Contains("OutOfMemory", StringComparison.Ordinal) == true ? $"{text} (the GPU ran out of memory)" : text);
                case "execution_interrupted":
                    return ProviderException.ProviderUnavailable($"{server} interrupted the prompt {promptId}{node} (someone canceled it on the server).");
            }
        }

        return ProviderException.ProviderUnavailable($"{server} reports that the prompt {promptId} ended in error, without saying why.");
    }

    private static string Refusal(string body, string fallback)
    {
        JsonObject? root;
        try
        {
            root = JsonNode.Parse(body) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            root = null;
        }

        if (root is null)
        {
            return $"){Said(fallback)}";
        }

        string? type = null, message;
        if (root["error"] is JsonObject error)
        {
            type = Text(error, "type");
            var details = Text(error, "details");
            message = Text(error, "message") is { } m ? (string.IsNullOrEmpty(details) ? m : $"{m}: {details}") : details;
        }
        else
        {
            message = Text(root["error"]);
        }

        var nodes = root["node_errors"] is JsonObject { Count: > 0 } nodeErrors ? NodeErrors(nodeErrors) : null;
        var text = (message, nodes) switch
        {
            ({ Length: > 0 }, not null) => $"{message}; {nodes}",
            ({ Length: > 0 }, null) => message,
            (_, not null) => nodes,
            _ => fallback,
        };
        return $"{(type is null ? string.Empty : $", {type}")}){Said(ProviderMessage.Clean(text))}";
    }

    private static string NodeErrors(JsonObject nodeErrors) =>
        string.Join("; ", nodeErrors.Select(n =>
        {
            var node = n.Value as JsonObject;
            var problems = (node?["errors"] as JsonArray ?? [])
                .OfType<JsonObject>()
                .Select(e => (Text(e, "message"), Text(e, "details")) switch
                {
                    ({ } m, { Length: > 0 } d) => $"{m}: {d}",
                    ({ } m, _) => m,
                    (_, { } d) => d,
                    _ => null,
                })
                .Where(p => p is not null);
            return $"node {n.Key}{(node is null || Text(node, "class_type") is not { } type ? string.Empty : $" ({type})")}: {string.Join(", ", problems)}";
        }));

    private static string Node(string? id, string? type) =>
        id is null ? string.Empty : $" at node {id}{(type is null ? string.Empty : $" ({type})")}";

    private static string Said(string message) => message.Length == 0 ? string.Empty : $": {message}";

    private static string? Text(JsonObject obj, string property) => Text(obj[property]);

    private static string? Text(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0 ? text
        : node is JsonValue number && number.GetValueKind() == System.Text.Json.JsonValueKind.Number ? number.ToJsonString()
        : null;
}
