using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Notifications;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Notifications;

/// <summary>The webhook outbox on PostgreSQL, as production runs it: two portal instances on one database.</summary>
public sealed class WebhookOnPostgresTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task TwoPortalsOnOnePostgresDatabaseDeliverEveryEventExactlyOnce()
    {
        using var receiver = new WebhookReceiver { FailFirst = 5 };
        (string, string?)[] settings = [.. WebhookTests.Fast, ("Notifications:LeaseDuration", "00:00:30")];
        await using var a = (PostgresPortalApp)await PortalApp.StartAsync(PortalDatabase.Postgres, null, settings);
        var b = new PostgresPortalApp { ConnectionString = a.ConnectionString };
        foreach (var (key, value) in settings)
        {
            b.With(key, value);
        }

        await using (b)
        {
            await b.InitializeAsync();
            var bob = await a.ClientAsync("bob");
            await WebhookTests.CreateHookAsync(bob, receiver.Url, "Json", ["BreakGlass"]);
            var teamId = await a.WithDbAsync(db => db.Teams.Where(t => t.Name == "payments").Select(t => t.Id).SingleAsync());
            const int count = 60;
            await a.WithDbAsync(async db =>
            {
                for (var i = 0; i < count; i++)
                {
                    Portal.Notifications.Notifications.Enqueue(db, new NotificationEvent { Kind = NotificationKind.BreakGlass, TeamId = teamId, Environment = "production", Actor = "admin", Comment = $"break {i}", At = DateTimeOffset.UtcNow });
                }

                return await db.SaveChangesAsync();
            });

            // Both instances' dispatchers poll the outbox; a third and fourth race them directly, one in each instance.
            var racers = new[] { ActivatorUtilities.CreateInstance<WebhookDispatcher>(a.Services), ActivatorUtilities.CreateInstance<WebhookDispatcher>(b.Services) };
            await Task.WhenAll(racers.Select(r => Task.Run(() => r.RunOnceAsync(CancellationToken.None))));
            await Poll.UntilAsync(
                async () => await b.WithDbAsync(db => db.WebhookDeliveries.CountAsync(d => d.State == DeliveryState.Delivered)) == count,
                Within,
                "Not every event was delivered.");
            await Task.WhenAll(racers.Select(r => r.RunOnceAsync(CancellationToken.None)));

            var accepted = receiver.Accepted;
            Assert.Equal(count, accepted.Count);
            Assert.Equal(count, accepted.Select(r => r.EventId).Distinct().Count());
            Assert.Equal(count, receiver.Received.Count - 5);
            var deliveries = await a.WithDbAsync(db => db.WebhookDeliveries.Select(d => new { d.EventId, d.State, d.LeaseOwner }).ToListAsync());
            Assert.Equal(count, deliveries.Count);
            Assert.All(deliveries, d => Assert.Equal((DeliveryState.Delivered, null), (d.State, d.LeaseOwner)));
        }
    }
}
