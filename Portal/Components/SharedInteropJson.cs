using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.JSInterop;

namespace Portal.Components;

/// <summary>
/// Blazor gives each circuit's JS runtime JSON options of its own, so every circuit builds its own metadata for each
/// type MudBlazor passes to JavaScript, and System.Text.Json emits a getter and setter (a DynamicMethod each) for every
/// property of those types again per circuit: about a hundred methods that each open page kept. The accessors do the
/// same for every circuit, so the first ones made are shared and the circuit's own become garbage at once.
/// </summary>
public sealed class SharedInteropJson : CircuitHandler
{
    private static readonly PropertyInfo? OptionsProperty = typeof(JSRuntime).GetProperty("JsonSerializerOptions", BindingFlags.Instance | BindingFlags.NonPublic);

    private static readonly ConcurrentDictionary<(Type Owner, MemberInfo Member), (Func<object, object?>? Get, Action<object, object?>? Set)> Accessors = new();

    public SharedInteropJson(IJSRuntime js)
    {
        if (js is not JSRuntime runtime || OptionsProperty?.GetValue(runtime) is not JsonSerializerOptions { IsReadOnly: false } options)
        {
            return;
        }

        foreach (var resolver in options.TypeInfoResolverChain.OfType<DefaultJsonTypeInfoResolver>())
        {
            resolver.Modifiers.Add(Share);
        }
    }

    private static void Share(JsonTypeInfo info)
    {
        if (info.Kind != JsonTypeInfoKind.Object)
        {
            return;
        }

        foreach (var property in info.Properties)
        {
            if (property.AttributeProvider is not MemberInfo member)
            {
                continue;
            }

            var shared = Accessors.GetOrAdd((info.Type, member), _ => (property.Get, property.Set));
            if (shared.Get is not null && property.Get is not null)
            {
                property.Get = shared.Get;
            }

            if (shared.Set is not null && property.Set is not null)
            {
                property.Set = shared.Set;
            }
        }
    }
}
