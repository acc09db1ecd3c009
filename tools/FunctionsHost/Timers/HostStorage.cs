using System.Text;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace FunctionsHost.Timers;

/// <summary>A timer's last and next occurrence, as the host's schedule monitor keeps them (local times).</summary>
public sealed record ScheduleStatus(DateTime Last, DateTime Next, DateTime LastUpdated);

/// <summary>
/// The host's blobs in the <c>AzureWebJobsStorage</c> account, container <c>azure-webjobs-hosts</c>:
/// <c>locks/{hostId}/Host.Functions.{name}.Listener</c>, whose lease says which host instance runs a timer, and
/// <c>timers/{hostId}/Host.Functions.{name}/status</c>, the timer's schedule status (the names the host uses).
/// </summary>
public sealed class HostStorage
{
    public const string Container = "azure-webjobs-hosts";
    private static readonly JsonSerializerOptions StatusJson = new();
    private readonly BlobContainerClient container;
    private readonly string hostId;

    public HostStorage(string connectionString, string hostId)
    {
        var options = new BlobClientOptions();
        // Fail fast when the storage is down: the timers wait and try again later; nothing else waits on them.
        options.Retry.MaxRetries = 2;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        options.Retry.Mode = RetryMode.Fixed;
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(10);
        container = new BlobServiceClient(connectionString, options).GetBlobContainerClient(Container);
        this.hostId = hostId;
    }

    /// <summary>The listener lock's blob of a timer function, by its host name (<c>Functions.{name}</c>).</summary>
    public string LockBlob(string hostName) => $"locks/{hostId}/Host.{hostName}.Listener";

    /// <summary>The schedule status blob of a timer function, by its host name (<c>Functions.{name}</c>).</summary>
    public string StatusBlob(string hostName) => $"timers/{hostId}/Host.{hostName}/status";

    /// <summary>Takes the lease on the lock blob (creating it and the container when missing); null when another holds it.</summary>
    public async Task<BlobLeaseClient?> TryLockAsync(string blobName, TimeSpan period, CancellationToken cancellation)
    {
        var blob = container.GetBlobClient(blobName);
        var lease = blob.GetBlobLeaseClient(Guid.NewGuid().ToString());
        try
        {
            // Look before leasing, as the host does, so a held lock costs no 409.
            var properties = await blob.GetPropertiesAsync(cancellationToken: cancellation);
            if (properties.Value.LeaseState is not (LeaseState.Available or LeaseState.Expired or LeaseState.Broken)) return null;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            await container.CreateIfNotExistsAsync(cancellationToken: cancellation);
            try
            {
                await blob.UploadAsync(BinaryData.FromString(""), overwrite: false, cancellation);
            }
            catch (RequestFailedException created) when (created.Status is 409 or 412)
            {
                // another instance created it first
            }
        }
        try
        {
            await lease.AcquireAsync(period, cancellationToken: cancellation);
            return lease;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return null;
        }
    }

    public async Task<ScheduleStatus?> ReadStatusAsync(string hostName, CancellationToken cancellation)
    {
        try
        {
            var content = await container.GetBlobClient(StatusBlob(hostName)).DownloadContentAsync(cancellation);
            return JsonSerializer.Deserialize<ScheduleStatus>(content.Value.Content.ToString(), StatusJson);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task WriteStatusAsync(string hostName, ScheduleStatus status, CancellationToken cancellation)
    {
        await container.CreateIfNotExistsAsync(cancellationToken: cancellation);
        await container.GetBlobClient(StatusBlob(hostName))
            .UploadAsync(new BinaryData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(status, StatusJson))), overwrite: true, cancellation);
    }
}
