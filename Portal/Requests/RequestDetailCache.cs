using System.Collections.Concurrent;

namespace Portal.Requests;

/// <summary>
/// What a request's API resource is made of (the stored request with its decisions, the spec of its base revision, its
/// secrets' metadata), kept per request and used only while the request's <see cref="DeploymentRequest.Version"/> is
/// unchanged: every change of a request moves it (<see cref="RequestLifecycle.Move"/>) in the same write, so a GET reads
/// the version and who may see the request (one small prepared query, <see cref="RequestStamps"/>) and reads the rest
/// again only when it differs. Checked on every use, it is right with several instances too (a change made by another
/// instance moves the same stored version). The detail made from an entry (with its review) is kept with it for the
/// names and the approval policy's answer it was made for (<see cref="KeptDetail"/>).
/// Nothing secret is kept: secret values are not part of a request.
/// </summary>
public sealed class RequestDetailCache
{
    private const int Capacity = 2_000;

    private readonly ConcurrentDictionary<int, Entry> byRequest = new();

    /// <summary>How many details were read from the database (misses); tests see the cache at work with it.</summary>
    public int Reads => Volatile.Read(ref reads);

    private int reads;

    /// <summary>What is kept of the request, whatever its version: the caller compares it with the stored one before using it.</summary>
    public Entry? Find(int requestId) => byRequest.TryGetValue(requestId, out var entry) ? entry : null;

    public void Remember(Entry entry)
    {
        Interlocked.Increment(ref reads);
        if (byRequest.Count >= Capacity)
        {
            // Rare (thousands of requests read within moments): start over rather than keep an order of use.
            byRequest.Clear();
        }

        byRequest[entry.Request.Id] = entry;
    }

    /// <param name="Request">Read without tracking, with its service, team and decisions; shared by readers, never changed.</param>
    public sealed record Entry(DeploymentRequest Request, RequestSpec? BaseSpec, IReadOnlyList<SecretValueInfo> Secrets)
    {
        /// <summary>The detail last made from this entry; replaced whole (never changed) when the names or the policy's answer differ.</summary>
        public KeptDetail? Detail
        {
            get => Volatile.Read(ref detail);
            set => Volatile.Write(ref detail, value);
        }

        private KeptDetail? detail;
    }

    /// <summary>A detail and what it was made for: the team's and service's names, and whether an approver decides deploys.</summary>
    public sealed record KeptDetail(string Team, string Service, bool ApproverDecides, RequestDetail Detail);
}
