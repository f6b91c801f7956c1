using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace Portal.Rollouts;

/// <summary>
/// The hub's MessagePack settings, beside its JSON: SignalR's own (enums as words, members by name, untrusted input)
/// plus the hub's serialize-once payloads, which go on the wire as the snapshot or change they carry. A .NET client
/// needs nothing but <c>.AddMessagePackProtocol()</c>.
/// </summary>
public static class HubMessagePack
{
    public static MessagePackSerializerOptions Options { get; } = MessagePackSerializerOptions.Standard
        .WithResolver(CompositeResolver.Create(
            [new HubSnapshotFormatter(), new HubChangeFormatter()],
            [DynamicEnumAsStringResolver.Instance, ContractlessStandardResolver.Instance]))
        .WithSecurity(MessagePackSecurity.UntrustedData);

    private sealed class HubSnapshotFormatter : IMessagePackFormatter<HubSnapshot?>
    {
        public void Serialize(ref MessagePackWriter writer, HubSnapshot? value, MessagePackSerializerOptions options) =>
            options.Resolver.GetFormatterWithVerify<RolloutSnapshot?>().Serialize(ref writer, value?.Snapshot, options);

        public HubSnapshot? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
            options.Resolver.GetFormatterWithVerify<RolloutSnapshot?>().Deserialize(ref reader, options) is { } snapshot ? HubSnapshot.Of(snapshot) : null;
    }

    private sealed class HubChangeFormatter : IMessagePackFormatter<HubChange?>
    {
        public void Serialize(ref MessagePackWriter writer, HubChange? value, MessagePackSerializerOptions options) =>
            options.Resolver.GetFormatterWithVerify<RolloutChange?>().Serialize(ref writer, value?.Change, options);

        public HubChange? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
            throw new NotSupportedException("Clients read a hub change as a RolloutChange.");
    }
}
