using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Sandbox.Store;

namespace Sandbox.Tests;

/// <summary>The store contract the controllers build on: copies, ordering, reentrant subscribers, garbage collection.</summary>
public sealed class ClusterStoreTests
{
    private static readonly FakeTimeProvider Clock = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private static JsonObject ConfigMap(string name, string ns = "default") =>
        new() { ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns }, ["data"] = new JsonObject { ["k"] = "v" } };

    [Fact]
    public void ObjectsHandedOutAreCopiesThatCannotChangeTheStore()
    {
        using var store = new ClusterStore(Clock);
        var created = store.Create(ResourceTypes.ConfigMaps, ConfigMap("a"));
        created["data"]!["k"] = "changed";
        store.Get(ResourceTypes.ConfigMaps, "default", "a")!["data"]!["k"] = "changed too";

        Assert.Equal("v", (string?)store.Get(ResourceTypes.ConfigMaps, "default", "a")!["data"]!["k"]);
        Assert.Equal("2025-01-01T00:00:00Z", (string?)created["metadata"]!["creationTimestamp"]);
        Assert.Equal(("v1", "ConfigMap"), ((string?)created["apiVersion"], (string?)created["kind"]));
    }

    [Fact]
    public void SubscribersSeeEveryChangeInOrderAndMayWriteFromTheirHandler()
    {
        using var store = new ClusterStore(Clock);
        var seen = new List<string>();
        using var subscription = store.Subscribe(e =>
        {
            seen.Add($"{e.Type} {e.Object["metadata"]!["name"]}");
            if (e.Type == StoreEventType.Added && (string?)e.Object["metadata"]!["name"] == "a")
            {
                store.Create(ResourceTypes.ConfigMaps, ConfigMap("b"));
            }
        });

        store.Create(ResourceTypes.ConfigMaps, ConfigMap("a"));
        store.Delete(ResourceTypes.ConfigMaps, "default", "a");

        Assert.Equal(["Added a", "Added b", "Deleted a"], seen);
    }

    [Fact]
    public void DeletingAnOwnerDeletesItsDependentsTransitively()
    {
        using var store = new ClusterStore(Clock);
        static JsonObject Owned(string name, JsonObject owner)
        {
            var obj = ConfigMap(name);
            obj["metadata"]!["ownerReferences"] = new JsonArray(new JsonObject
            {
                ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["name"] = (string?)owner["metadata"]!["name"], ["uid"] = (string?)owner["metadata"]!["uid"],
            });
            return obj;
        }
        var root = store.Create(ResourceTypes.ConfigMaps, ConfigMap("root"));
        var child = store.Create(ResourceTypes.ConfigMaps, Owned("child", root));
        store.Create(ResourceTypes.ConfigMaps, Owned("grandchild", child));
        store.Create(ResourceTypes.ConfigMaps, ConfigMap("bystander"));

        store.Delete(ResourceTypes.ConfigMaps, "default", "root");

        Assert.Equal(["bystander"], store.List(ResourceTypes.ConfigMaps, "default").Select(o => (string?)o["metadata"]!["name"]));
    }

    [Fact]
    public void DeletingANamespaceDeletesWhatIsInIt()
    {
        using var store = new ClusterStore(Clock);
        store.Create(ResourceTypes.Namespaces, new JsonObject { ["metadata"] = new JsonObject { ["name"] = "team" } });
        store.Create(ResourceTypes.ConfigMaps, ConfigMap("inside", "team"));
        store.Create(ResourceTypes.ConfigMaps, ConfigMap("outside"));

        store.Delete(ResourceTypes.Namespaces, null, "team");

        Assert.Equal(["outside"], store.List(ResourceTypes.ConfigMaps, null).Select(o => (string?)o["metadata"]!["name"]));
    }

    [Fact]
    public void StoredNumbersReadBackWithAnyNumericCast()
    {
        using var store = new ClusterStore(Clock);
        var deployment = store.Create(ResourceTypes.Deployments, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "web", ["namespace"] = "default" },
            ["spec"] = new JsonObject { ["template"] = new JsonObject { ["spec"] = new JsonObject { ["containers"] = new JsonArray() } } },
        });

        Assert.Equal(1, (int?)deployment["spec"]!["replicas"]);
        Assert.Equal(1L, (long?)deployment["metadata"]!["generation"]);
        Assert.Equal(600.0, (double?)deployment["spec"]!["progressDeadlineSeconds"]);
    }

    [Fact]
    public void AWriteThatChangesNothingKeepsTheResourceVersion()
    {
        using var store = new ClusterStore(Clock);
        var created = store.Create(ResourceTypes.ConfigMaps, ConfigMap("a"));
        var events = 0;
        using var subscription = store.Subscribe(_ => events++);

        var again = store.Update(ResourceTypes.ConfigMaps, created);

        Assert.Equal((string?)created["metadata"]!["resourceVersion"], (string?)again["metadata"]!["resourceVersion"]);
        Assert.Equal(0, events);
    }
}
