using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using Portal.Requests;
using Portal.Components.Shared;
using Portal.Requests.Components;

namespace Portal.Rollouts.Components;

/// <summary>
/// One rollout, live, the interactive part of the rollout page: the latest snapshot at once (live or stored), then every
/// snapshot the tracker publishes through the in-process <see cref="RolloutNotifier"/>, and the request's own changes
/// (approval, apply, final state). Shows nothing for a request the user may not see (the page says why).
/// </summary>
public partial class RolloutLive
{
    private RolloutView? view;
    private RolloutSnapshot? snapshot;
    private List<TimelineEntry> timeline = [];
    private IDisposable? rollout;
    private IDisposable? access;
    private int? followed;
    private bool loaded;
    private bool interactive;
    private bool rollingBack;
    private string? rollbackMessage;
    private bool showLogs;
    private bool manifestsOpen;
    private string? manifests;

    [Parameter]
    public int RequestId { get; set; }

    [CascadingParameter]
    private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    [Inject]
    private Portal.Identity.UserCircuits Circuits { get; set; } = default!;

    private string NotAppliedYet => view!.State switch
    {
        RequestState.Submitted or RequestState.AwaitingApproval => "Not applied yet: the request waits for an approval. This page follows it once it is applied.",
        RequestState.Approved => "Approved: waiting for the apply worker.",
        RequestState.Applying or RequestState.RollingOut => "Applying...",
        _ => $"This request was never applied ({RequestStateChip.Text(view.State)}).",
    };

    /// <summary>Whether the request's state chip would only repeat the rollout's phase chip ("Succeeded" twice, "Rolling out" and "Progressing").</summary>
    internal static bool SaysTheSame(RequestState state, RolloutSnapshot? snapshot) => snapshot is not null && state switch
    {
        RequestState.Applying or RequestState.RollingOut => !snapshot.IsFinal,
        RequestState.Succeeded => snapshot.Phase == RolloutPhase.Succeeded,
        RequestState.Failed => snapshot.Phase == RolloutPhase.Failed,
        _ => false,
    };

    protected override async Task OnParametersSetAsync()
    {
        if (followed != RequestId)
        {
            // Subscribe before reading the latest snapshot so that nothing published in between is missed.
            rollout?.Dispose();
            snapshot = null;
            followed = RequestId;
            rollout = Notifier.Subscribe(RequestId, next => RefreshLater(() =>
            {
                Show(next);
                return Task.CompletedTask;
            }));
        }

        await LoadAsync();
        FollowRequests(RequestTopic.Request(RequestId), _ => LoadAsync());
    }

    private async Task LoadAsync()
    {
        (view, _) = await Queries.FindAsync((await AuthenticationState).User, RequestId);
        if (view is not null)
        {
            timeline = [.. view.Record?.Timeline ?? []];
            if (await Streams.LatestAsync(RequestId, CancellationToken.None) is { } latest)
            {
                Show(latest);
            }
        }

        loaded = true;
    }

    /// <summary>Shows <paramref name="next"/> unless a newer one is shown already; a new summary extends the timeline as the tracker's does.</summary>
    private void Show(RolloutSnapshot next)
    {
        if (view is null || next.RequestId != RequestId || (snapshot is not null && next.At < snapshot.At))
        {
            return;
        }

        snapshot = next;
        if (next.Phase != RolloutPhase.Applying && timeline.LastOrDefault()?.Summary != next.Summary)
        {
            timeline.Add(new TimelineEntry(next.At, next.Summary));
            if (timeline.Count > RolloutQueries.MaxTimelineLines)
            {
                timeline.RemoveAt(0);
            }
        }
    }

    /// <summary>The manifests are read when the panel opens, not kept by every open page.</summary>
    private async Task ToggleManifestsAsync()
    {
        manifestsOpen = !manifestsOpen;
        manifests = manifestsOpen ? await Queries.AppliedManifestsAsync((await AuthenticationState).User, RequestId) : null;
    }

    private async Task RollBackNowAsync()
    {
        var body = (RenderFragment)(builder =>
        {
            builder.OpenElement(0, "div");
            builder.AddAttribute(1, "id", "rollback-confirm");
            builder.AddContent(2, $"Stop this rollout of {view!.Service} in {view.Environment} and roll back to the last good revision? "
                + "This creates a rollback request; once it is approved the stuck rollout is stopped and the rollback applied.");
            builder.CloseElement();
        });
        if (!await ConfirmDialog.AskAsync(Dialogs, "Roll back now?", "Roll back now", body, Color.Error))
        {
            return;
        }

        rollingBack = true;
        try
        {
            var outcome = await Rollback.RollBackAsync((await AuthenticationState).User, view!.ServiceId, view.Environment, $"Roll back now: the rollout of request #{RequestId} is stuck ({snapshot?.Blocking}).");
            if (!outcome.Succeeded)
            {
                rollbackMessage = outcome.Message ?? "The rollback could not be created.";
                return;
            }

            // The rollback's own rollout page says whether it waits for an approval or is applied next. A full load: the
            // rollout page is not part of interactive routing.
            Navigation.NavigateTo($"/rollouts/{outcome.Value!.Id}", forceLoad: true);
        }
        finally
        {
            rollingBack = false;
        }
    }

    // Prerendered HTML looks the same as the live part; this marks the moment the circuit is attached and input counts.
    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender)
        {
            interactive = true;
            // This island is a circuit of its own (the page around it is static): it reloads when its user's access
            // changes, and is checked again (UserCircuits).
            if (AuthenticationState.IsCompletedSuccessfully && Portal.Identity.TeamAccess.UserId(AuthenticationState.Result.User) is { } userId)
            {
                access = Circuits.Register(userId, Navigation, InvokeAsync);
            }

            StateHasChanged();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            rollout?.Dispose();
            access?.Dispose();
        }

        base.Dispose(disposing);
    }
}
