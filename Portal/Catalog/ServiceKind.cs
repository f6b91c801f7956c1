using System.Text.Json.Serialization;

namespace Portal.Catalog;

/// <summary>
/// What a service is. A web service listens on its container port behind a Kubernetes Service; a worker has no port, no
/// Service object and no HTTP probes by default (a queue consumer, a scheduler).
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<ServiceKind>))]
public enum ServiceKind
{
    Web,
    Worker,
}
