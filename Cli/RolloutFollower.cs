using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace SelfService.Cli;

/// <summary>
/// Follows one request's rollout on <c>/hubs/rollouts</c> and prints a line each time kubectl's message or the trouble
/// holding it up changes, the way <c>kubectl rollout status</c> does. Reconnects (the hub sends the latest snapshot
/// first) if the connection drops before the end.
/// </summary>
public sealed class RolloutFollower(PortalClient portal, TextWriter progress)
{
    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(1);

    private string? lastLine;
    private string? lastBlocking;

    /// <summary>The last snapshot seen (null before the first): after a timeout, it says where the rollout was.</summary>
    public RolloutSnapshot? Last { get; private set; }

    /// <summary>Returns the final snapshot; throws <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires first.</summary>
    public async Task<RolloutSnapshot> FollowAsync(int requestId, CancellationToken cancellationToken)
    {
        var hubUrl = new Uri(portal.BaseAddress, "hubs/rollouts");
        while (true)
        {
            await using var connection = new HubConnectionBuilder()
                .WithUrl(hubUrl, options => options.AccessTokenProvider = () => Task.FromResult<string?>(portal.Token))
                .AddJsonProtocol(o => o.PayloadSerializerOptions = new JsonSerializerOptions(JsonSerializerDefaults.Web))
                .Build();
            try
            {
                await connection.StartAsync(cancellationToken);
                await foreach (var snapshot in connection.StreamAsync<RolloutSnapshot>("WatchRollout", requestId, cancellationToken))
                {
                    Show(snapshot);
                    if (snapshot.IsFinal)
                    {
                        return snapshot;
                    }
                }
            }
            catch (HubException e)
            {
                throw new CliException(ExitCodes.Forbidden, $"The portal does not let this token follow request #{requestId}: {e.Message}");
            }
            catch (HttpRequestException e) when (e.StatusCode is { } status)
            {
                throw portal.Failure(status, "", "hubs/rollouts");
            }
            catch (Exception e) when (e is not OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                if (Last is null && e is HttpRequestException)
                {
                    throw PortalClient.NetworkFailure(hubUrl, e);
                }

                // Connection lost mid-rollout: the rollout goes on; ask again for the latest snapshot.
                await progress.WriteLineAsync($"(connection to {hubUrl.GetLeftPart(UriPartial.Path)} lost; reconnecting)");
            }

            await Task.Delay(ReconnectDelay, cancellationToken);
        }
    }

    private void Show(RolloutSnapshot snapshot)
    {
        Last = snapshot;
        if (snapshot.Message != lastLine)
        {
            lastLine = snapshot.Message;
            progress.WriteLine(snapshot.Message);
        }

        if (snapshot.Blocking is { } blocking && blocking != lastBlocking)
        {
            progress.WriteLine($"  stuck: {blocking}");
        }

        lastBlocking = snapshot.Blocking;
    }
}
