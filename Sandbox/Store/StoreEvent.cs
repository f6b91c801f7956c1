using System.Text.Json.Nodes;

namespace Sandbox.Store;

public enum StoreEventType { Added, Modified, Deleted }

/// <summary>One committed change. <see cref="Object"/> is a private deep copy the receiver may keep or change.</summary>
public sealed record StoreEvent(StoreEventType Type, ResourceType Resource, JsonObject Object);
