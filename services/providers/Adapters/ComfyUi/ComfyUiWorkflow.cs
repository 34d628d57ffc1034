using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ImageGen.Providers.Adapters.ComfyUi;

/// <summary>
/// The graph ComfyUI is asked to run: a workflow in ComfyUI's API format (<c>{"&lt;node id&gt;": {"class_type", "inputs"}}</c>, what
/// "Save (API Format)" writes) with placeholders where the job's values go. The placeholders work in any workflow, whatever its
/// node ids, so an operator can swap in their own graph without telling the gateway how it is wired.
/// </summary>
/// <remarks>
/// <para>A string input that is exactly a placeholder becomes the value with its JSON type (<c>"{{width}}"</c> becomes the number
/// 1024); a placeholder inside a longer string is replaced by its text (<c>"cinematic, {{prompt}}"</c>). Values are set in the
/// parsed graph, never spliced into JSON text, so a prompt cannot break out of its string.</para>
/// <list type="table">
/// <item><term><c>{{prompt}}</c></term><description>the prompt (required in every template)</description></item>
/// <item><term><c>{{negative_prompt}}</c></term><description>the negative prompt, empty when there is none</description></item>
/// <item><term><c>{{width}}</c>, <c>{{height}}</c></term><description>the size in pixels (numbers)</description></item>
/// <item><term><c>{{seed}}</c></term><description>the job's seed (number)</description></item>
/// <item><term><c>{{batch_size}}</c></term><description>how many images (number)</description></item>
/// <item><term><c>{{checkpoint}}</c></term><description><c>Options:Checkpoint</c>, default <see cref="DefaultCheckpoint"/></description></item>
/// <item><term><c>{{steps}}</c>, <c>{{cfg}}</c></term><description>the job's <c>steps</c> / <c>cfg_scale</c> parameter, else <c>Options:Steps</c> / <c>Options:CfgScale</c>, else 25 / 7 (numbers)</description></item>
/// <item><term><c>{{sampler}}</c>, <c>{{scheduler}}</c></term><description>the job's <c>sampler_name</c> / <c>scheduler</c> parameter, else <c>Options:Sampler</c> / <c>Options:Scheduler</c>, else euler / normal</description></item>
/// <item><term><c>{{filename_prefix}}</c></term><description><c>imagegen/{job id}</c>, so results land in the <c>imagegen</c> subfolder of ComfyUI's output</description></item>
/// </list>
/// <para>Any other <c>{{name}}</c> is refused, so a misspelt placeholder does not reach ComfyUI as literal text.</para>
/// </remarks>
public static partial class ComfyUiWorkflow
{
    public const string DefaultCheckpoint = "sd_xl_base_1.0.safetensors";
    public const int DefaultSteps = 25;
    public const double DefaultCfg = 7;
    public const string DefaultSampler = "euler";
    public const string DefaultScheduler = "normal";

    public const string Prompt = "prompt";
    public const string NegativePrompt = "negative_prompt";
    public const string Width = "width";
    public const string Height = "height";
    public const string Seed = "seed";
    public const string BatchSize = "batch_size";
    public const string Checkpoint = "checkpoint";
    public const string Steps = "steps";
    public const string Cfg = "cfg";
    public const string Sampler = "sampler";
    public const string Scheduler = "scheduler";
    public const string FilenamePrefix = "filename_prefix";

    public static readonly IReadOnlySet<string> Placeholders = new HashSet<string>(StringComparer.Ordinal)
    {
        Prompt, NegativePrompt, Width, Height, Seed, BatchSize, Checkpoint, Steps, Cfg, Sampler, Scheduler, FilenamePrefix,
    };

    /// <summary>
    /// The built-in text-to-image graph (ComfyUI's own default workflow, in API format): an SDXL checkpoint, a KSampler, VAE decode and
    /// SaveImage. Any Stable Diffusion 1.x/2.x/XL checkpoint works in it; set <c>Options:Checkpoint</c> to the file name in <c>models/checkpoints</c>.
    /// </summary>
    public const string Default = """
        {
          "3": {
            "class_type": "KSampler",
            "inputs": {
              "seed": "{{seed}}",
              "steps": "{{steps}}",
              "cfg": "{{cfg}}",
              "sampler_name": "{{sampler}}",
              "scheduler": "{{scheduler}}",
              "denoise": 1,
              "model": ["4", 0],
              "positive": ["6", 0],
              "negative": ["7", 0],
              "latent_image": ["5", 0]
            }
          },
          "4": { "class_type": "CheckpointLoaderSimple", "inputs": { "ckpt_name": "{{checkpoint}}" } },
          "5": { "class_type": "EmptyLatentImage", "inputs": { "width": "{{width}}", "height": "{{height}}", "batch_size": "{{batch_size}}" } },
          "6": { "class_type": "CLIPTextEncode", "inputs": { "text": "{{prompt}}", "clip": ["4", 1] } },
          "7": { "class_type": "CLIPTextEncode", "inputs": { "text": "{{negative_prompt}}", "clip": ["4", 1] } },
          "8": { "class_type": "VAEDecode", "inputs": { "samples": ["3", 0], "vae": ["4", 2] } },
          "9": { "class_type": "SaveImage", "inputs": { "filename_prefix": "{{filename_prefix}}", "images": ["8", 0] } }
        }
        """;

    /// <summary>The template: the file at <paramref name="path"/> (read each time, so an edited file needs no restart), else <see cref="Default"/>.</summary>
    public static async Task<JsonObject> LoadAsync(string? path, string optionName, CancellationToken cancellationToken)
    {
        string text;
        var source = path is null ? "the built-in workflow" : $"the workflow file {path} ({optionName})";
        if (path is null)
        {
            text = Default;
        }
        else
        {
            try
            {
                text = await File.ReadAllTextAsync(path, cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw ProviderException.Internal($"ComfyUI: {source} cannot be read: {ex.Message}", innerException: ex);
            }
        }

        return Parse(text, source);
    }

    /// <summary>Checks that <paramref name="text"/> is an API-format graph with a <c>{{prompt}}</c> and no unknown placeholder.</summary>
    public static JsonObject Parse(string text, string source)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw ProviderException.Internal($"ComfyUI: {source} is not valid JSON ({ex.Message}).", innerException: ex);
        }

        if (root is not JsonObject graph || graph.Count == 0)
        {
            throw ProviderException.Internal($"ComfyUI: {source} is not a workflow graph (a JSON object of nodes).");
        }

        // The UI format (what plain "Save" writes) has "nodes" and "links" arrays; the API takes only the API format.
        if (graph["nodes"] is JsonArray || graph["links"] is JsonArray)
        {
            throw ProviderException.Internal($"ComfyUI: {source} is in the UI format; export it with \"Save (API Format)\" (enable the dev mode options in ComfyUI's settings).");
        }

        foreach (var (id, node) in graph)
        {
            if (node is not JsonObject n || n["class_type"] is not JsonValue || n["inputs"] is not JsonObject)
            {
                throw ProviderException.Internal($"ComfyUI: node \"{id}\" of {source} has no class_type and inputs; is it in the API format?");
            }
        }

        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var value in Strings(graph))
        {
            foreach (Match match in PlaceholderPattern().Matches(value.GetValue<string>()))
            {
                var name = match.Groups[1].Value;
                if (!Placeholders.Contains(name))
                {
                    throw ProviderException.Internal(
                        $"ComfyUI: {source} has the placeholder {{{{{name}}}}}, which is not known; use {string.Join(", ", Placeholders.Select(p => $"{{{{{p}}}}}"))}.");
                }

                found.Add(name);
            }
        }

        if (!found.Contains(Prompt))
        {
            throw ProviderException.Internal($"ComfyUI: {source} has no {{{{prompt}}}} placeholder, so the job's prompt would not reach it.");
        }

        return graph;
    }

    /// <summary>Which placeholders <paramref name="graph"/> uses.</summary>
    public static IReadOnlySet<string> PlaceholdersIn(JsonObject graph) =>
        Strings(graph).SelectMany(v => PlaceholderPattern().Matches(v.GetValue<string>()).Select(m => m.Groups[1].Value)).ToHashSet(StringComparer.Ordinal);

    /// <summary>A copy of <paramref name="template"/> with every placeholder replaced by its value (strings, or numbers for numeric ones).</summary>
    public static JsonObject Fill(JsonObject template, IReadOnlyDictionary<string, JsonValue> values)
    {
        var graph = (JsonObject)template.DeepClone();
        foreach (var value in Strings(graph).ToList())
        {
            var text = value.GetValue<string>();
            var whole = PlaceholderPattern().Match(text);
            if (whole.Success && whole.Length == text.Length)
            {
                var replacement = values.TryGetValue(whole.Groups[1].Value, out var typed) ? typed.DeepClone() : null;
                if (replacement is not null)
                {
                    value.ReplaceWith(replacement);
                }

                continue;
            }

            var replaced = PlaceholderPattern().Replace(text, m => values.TryGetValue(m.Groups[1].Value, out var typed) ? Text(typed) : m.Value);
            if (!string.Equals(replaced, text, StringComparison.Ordinal))
            {
                value.ReplaceWith(JsonValue.Create(replaced));
            }
        }

        return graph;
    }

    private static string Text(JsonValue value) =>
        value.TryGetValue<string>(out var s) ? s
        : value.TryGetValue<long>(out var l) ? l.ToString(CultureInfo.InvariantCulture)
        : value.TryGetValue<double>(out var d) ? d.ToString(CultureInfo.InvariantCulture)
        : value.ToJsonString();

    private static IEnumerable<JsonValue> Strings(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj)
                {
                    foreach (var value in Strings(child))
                    {
                        yield return value;
                    }
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    foreach (var value in Strings(child))
                    {
                        yield return value;
                    }
                }

                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                yield return value;
                break;
        }
    }

    [GeneratedRegex(@"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")]
    private static partial Regex PlaceholderPattern();
}
