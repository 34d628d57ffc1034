using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ImageGen.Generation.Apis;
using ImageGen.Generation.Data;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ImageGen.Generation.Callbacks;

/// <summary>
/// Delivers completion callbacks: a POST of the job (as <c>GET /v1/jobs/{id}</c> shows it) to its <c>callback_url</c>,
/// signed <c>ImageGen-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256(secret, "{t}.{body}")&gt;</c>, retried with
/// growing waits until the receiver answers 2xx. Rows are claimed with SKIP LOCKED and a lease, so replicas share the
/// work and a replica that dies mid-delivery only delays it.
/// </summary>
public sealed partial class CallbackDispatcher(
    NpgsqlDataSource dataSource,
    JobRepository jobs,
    IHttpClientFactory httpClients,
    IOptions<CallbackOptions> options,
    TimeProvider clock,
    ILogger<CallbackDispatcher> logger) : BackgroundService
{
    public const string HttpClientName = "callbacks";
    private const int BatchSize = 20;
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan[] Backoff = [TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(30)];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var claimed = await ClaimAsync(stoppingToken);
                await Task.WhenAll(claimed.Select(c => DeliverAsync(c, stoppingToken)));
                if (claimed.Count < BatchSize)
                {
                    await Task.Delay(PollInterval, clock, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogDispatchFailed(ex);
                await Task.Delay(TimeSpan.FromSeconds(5), clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private sealed record Claimed(Guid JobId, string Owner, string Url, string Event, int Attempt);

    private async Task<List<Claimed>> ClaimAsync(CancellationToken cancellationToken)
    {
        // The lease outlasts one POST by far; a delivery that finishes moves next_attempt_at itself.
        await using var command = dataSource.CreateCommand("""
            UPDATE job_callbacks c SET attempts = c.attempts + 1, next_attempt_at = now() + interval '2 minutes'
            FROM jobs j
            WHERE j.id = c.job_id AND c.job_id IN (
                SELECT job_id FROM job_callbacks WHERE status = 'pending' AND next_attempt_at <= now()
                ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
            RETURNING c.job_id, j.owner, c.url, c.event, c.attempts
            """);
        command.Parameters.AddWithValue(BatchSize);
        var claimed = new List<Claimed>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            claimed.Add(new Claimed(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4)));
        }

        return claimed;
    }

    private async Task DeliverAsync(Claimed callback, CancellationToken cancellationToken)
    {
        var job = await jobs.GetAsync(callback.JobId, callback.Owner, cancellationToken);
        if (job is null)
        {
            return;
        }

        var urls = new PublicUrls(new HttpContextAccessor(), Options.Create(new GenerationOptions { PublicBaseUrl = job.Request.PublicBaseUrl ?? "" }));
        var deliveryId = Guid.CreateVersion7();
        var body = JsonSerializer.SerializeToUtf8Bytes(new CallbackPayload(callback.Event, deliveryId, JobView.From(job, urls)), JobRepository.Json);
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var signature = Sign(options.Value.SigningSecret!, timestamp, body);

        int? statusCode = null;
        string? error = null;
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, callback.Url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new("application/json");
            request.Headers.Add("ImageGen-Event", callback.Event);
            request.Headers.Add("ImageGen-Delivery", deliveryId.ToString());
            request.Headers.Add("ImageGen-Signature", $"t={timestamp},v1={signature}");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.Value.Timeout);
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, timeout.Token);
            statusCode = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                error = $"The receiver answered {statusCode}.";
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            error = $"No answer within {options.Value.Timeout.TotalSeconds:0} s.";
        }
        catch (HttpRequestException ex)
        {
            // Never the exception's text: it could describe internal hosts to the caller.
            error = ex.InnerException is RefusedAddressException ? "The callback URL resolves to a private address, which is not allowed." : $"The receiver could not be reached ({ex.HttpRequestError}).";
        }

        var delivered = error is null;
        var failedForGood = !delivered && callback.Attempt >= options.Value.MaxAttempts;
        var next = Backoff[Math.Min(callback.Attempt - 1, Backoff.Length - 1)];
        await using var batch = dataSource.CreateBatch();
        var record = new NpgsqlBatchCommand("""
            INSERT INTO callback_deliveries (job_id, delivery, event, attempted_at, status_code, error, duration_ms)
            VALUES ($1, (SELECT COALESCE(max(delivery), 0) + 1 FROM callback_deliveries WHERE job_id = $1), $2, $3, $4, $5, $6)
            """);
        record.Parameters.AddWithValue(callback.JobId);
        record.Parameters.AddWithValue(callback.Event);
        record.Parameters.AddWithValue(clock.GetUtcNow());
        record.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer, Value = (object?)statusCode ?? DBNull.Value });
        record.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text, Value = (object?)error ?? DBNull.Value });
        record.Parameters.AddWithValue((int)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        var settle = new NpgsqlBatchCommand("""
            UPDATE job_callbacks SET status = $2, delivered_at = CASE WHEN $2 = 'delivered' THEN now() END, next_attempt_at = now() + $3
            WHERE job_id = $1 AND status = 'pending' AND attempts = $4
            """);
        settle.Parameters.AddWithValue(callback.JobId);
        settle.Parameters.AddWithValue(delivered ? "delivered" : failedForGood ? "failed" : "pending");
        settle.Parameters.AddWithValue(next);
        settle.Parameters.AddWithValue(callback.Attempt);
        batch.BatchCommands.Add(record);
        batch.BatchCommands.Add(settle);
        await batch.ExecuteNonQueryAsync(cancellationToken);
        LogDelivery(callback.JobId, callback.Attempt, delivered, statusCode, error ?? "delivered");
    }

    /// <summary>The <c>v1</c> signature: hex HMAC-SHA256 over <c>"{timestamp}.{body}"</c>.</summary>
    public static string Sign(string secret, string timestamp, ReadOnlySpan<byte> body)
    {
        var signed = new byte[timestamp.Length + 1 + body.Length];
        Encoding.ASCII.GetBytes(timestamp, signed);
        signed[timestamp.Length] = (byte)'.';
        body.CopyTo(signed.AsSpan(timestamp.Length + 1));
        return Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
    }

    /// <summary>
    /// Connects only to public addresses, checked after DNS resolution (so a name pointing inside cannot slip through),
    /// unless <see cref="CallbackOptions.AllowPrivateNetworks"/>.
    /// </summary>
    public static SocketsHttpHandler CreateHandler(CallbackOptions options) => new()
    {
        AllowAutoRedirect = false,
        ConnectCallback = async (context, cancellationToken) =>
        {
            var addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, cancellationToken);
            var allowed = addresses.Where(a => options.AllowPrivateNetworks || IsPublic(a)).ToArray();
            if (allowed.Length == 0)
            {
                throw new RefusedAddressException();
            }

            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    private static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Any))
        {
            return false;
        }

        var b = address.GetAddressBytes();
        return address.AddressFamily != AddressFamily.InterNetwork
            || !(b[0] == 10 || b[0] == 0 || (b[0] == 172 && b[1] >= 16 && b[1] <= 31) || (b[0] == 192 && b[1] == 168) || (b[0] == 169 && b[1] == 254)
                 || (b[0] == 100 && b[1] >= 64 && b[1] <= 127) || b[0] >= 224);
    }

    private sealed class RefusedAddressException() : IOException("The address is not allowed.");

    private sealed record CallbackPayload(string Event, Guid DeliveryId, JobView Job);

    [LoggerMessage(Level = LogLevel.Information, Message = "Callback of job {JobId}, try {Attempt}: delivered {Delivered} (status {StatusCode}): {Outcome}")]
    private partial void LogDelivery(Guid jobId, int attempt, bool delivered, int? statusCode, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivering callbacks failed; trying again shortly")]
    private partial void LogDispatchFailed(Exception exception);
}
