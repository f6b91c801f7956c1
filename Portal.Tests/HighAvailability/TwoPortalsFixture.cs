namespace Portal.Tests.HighAvailability;

/// <summary>Two portals shared by the tests of a class that leave both running.</summary>
public sealed class TwoPortalsFixture : IAsyncLifetime
{
    public TwoPortals Portals { get; private set; } = null!;

    public async Task InitializeAsync() => Portals = await TwoPortals.StartAsync();

    public async Task DisposeAsync()
    {
        if (Portals is not null)
        {
            await Portals.DisposeAsync();
        }
    }
}

/// <summary>The two-instance tests run one after the other: each starts three processes, and one measures a takeover time.</summary>
[CollectionDefinition(Name)]
public sealed class HighAvailabilityCollection
{
    public const string Name = "High availability";
}
