using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace ImageGen.Providers.Tests.Faults;

/// <summary>
/// The built provider worker (<c>ImageGen.Providers.dll</c>) run by <c>dotnet</c> as an OS process of its own and
/// configured through environment variables, as a container runs it, so that a test can kill it with SIGKILL:
/// no graceful stop, no chance to hand anything back, as when a node or a container dies.
/// </summary>
public sealed partial class WorkerProcess : IAsyncDisposable
{
    private const int KeptLines = 400;
    private const int TailLines = 40;

    // Prefixes of inherited variables that would configure the worker behind the test's back (a shell that
    // sourced `scripts/infra.sh env` points ConnectionStrings__messaging at the run command's vhost).
    private static readonly string[] InheritedSettings =
    [
        "ConnectionStrings__", "Provider__", "Providers__", "services__", "Storage__", "Credentials__", "Webhooks__",
        "Logging__", "OTEL_", "ASPNETCORE_", "DOTNET_ENVIRONMENT",
    ];

    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(2) };

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private volatile Uri? _address;

    private WorkerProcess(Process process) => _process = process;

    /// <summary>The process id, kept after the process is gone.</summary>
    public int Id { get; private set; }

    public bool HasExited => _process.HasExited;

    public static WorkerProcess Start(string assembly, IReadOnlyDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo(DotnetHost())
        {
            // The content root, where the worker finds its appsettings.json.
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(assembly);
        foreach (var key in info.Environment.Keys.Where(k => InheritedSettings.Any(p => k.StartsWith(p, StringComparison.OrdinalIgnoreCase))).ToList())
        {
            info.Environment.Remove(key);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var worker = new WorkerProcess(new Process { StartInfo = info });
        worker._process.OutputDataReceived += (_, e) => worker.Record(e.Data);
        worker._process.ErrorDataReceived += (_, e) => worker.Record(e.Data is null ? null : $"[stderr] {e.Data}");
        worker._process.Start();
        worker.Id = worker._process.Id;
        worker._process.BeginOutputReadLine();
        worker._process.BeginErrorReadLine();
        return worker;
    }

    /// <summary>
    /// The worker's own build output, <c>services/providers/bin/{Configuration}/{framework}</c> of the repository these
    /// tests were built in (found by walking up to <c>ImageGen.sln</c>), else the copy the project reference put next to
    /// the tests: either way the same build the tests were compiled against, with its runtimeconfig and deps files.
    /// </summary>
    public static string LocateWorkerAssembly()
    {
        const string FileName = "ImageGen.Providers.dll";
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var (configuration, framework) = (testOutput.Parent?.Name ?? "Debug", testOutput.Name);
        var candidates = new List<string>();
        for (var directory = testOutput; directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ImageGen.sln")))
            {
                candidates.Add(Path.Combine(directory.FullName, "services", "providers", "bin", configuration, framework, FileName));
                break;
            }
        }

        candidates.Add(Path.Combine(AppContext.BaseDirectory, FileName));
        return candidates.FirstOrDefault(c => File.Exists(c) && File.Exists(Path.ChangeExtension(c, ".runtimeconfig.json")))
            ?? throw new InvalidOperationException(
                $"The provider worker is not built: none of {string.Join(", ", candidates)} exists with its runtimeconfig.json. " +
                "Build services/providers/ImageGen.Providers.csproj first.");
    }

    /// <summary>True once the worker listens and its /health (the bus started, its endpoints ready) answers Healthy.</summary>
    public async Task<bool> IsHealthyAsync()
    {
        if (_address is not { } address)
        {
            return false;
        }

        try
        {
            using var response = await Probe.GetAsync(new Uri(address, "health"));
            return response.IsSuccessStatusCode && await response.Content.ReadAsStringAsync() == "Healthy";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>SIGKILL (what <see cref="Process.Kill()"/> sends on Linux), then waits until the process is gone.</summary>
    public async Task KillAsync()
    {
        Record($"[test] SIGKILL to process {Id}");
        _process.Kill();
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _process.WaitForExitAsync(patience.Token);
    }

    /// <summary>How the process ended or that it runs, and the last lines it wrote, for failure messages.</summary>
    public string Describe()
    {
        var state = _process.HasExited ? $"exited with code {_process.ExitCode}" : "running";
        var lines = _output.ToArray();
        return $"--- worker process {Id} ({state}), last {Math.Min(TailLines, lines.Length)} of {lines.Length} lines ---{Environment.NewLine}" +
            string.Join(Environment.NewLine, lines.TakeLast(TailLines));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                await KillAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }
        finally
        {
            _process.Dispose();
        }
    }

    /// <summary>The <c>dotnet</c> that runs these tests, so the worker runs on the same runtime.</summary>
    private static string DotnetHost()
    {
        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return self;
        }

        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
    }

    private void Record(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > KeptLines && _output.TryDequeue(out _))
        {
        }

        if (_address is null && ListeningOn().Match(line) is { Success: true } match)
        {
            _address = new Uri(match.Groups["url"].Value.TrimEnd('/') + "/");
        }
    }

    // Kestrel picks the port (ASPNETCORE_URLS=http://127.0.0.1:0) and names it in this lifetime message.
    [GeneratedRegex(@"Now listening on: (?<url>http://\S+)")]
    private static partial Regex ListeningOn();
}
