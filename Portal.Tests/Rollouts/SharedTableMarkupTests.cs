using Portal.Rollouts;
using Portal.Rollouts.Components;

namespace Portal.Tests.Rollouts;

/// <summary>The pods and events tables are written as markup by hand: what the cluster reports is text, never HTML.</summary>
public sealed class SharedTableMarkupTests
{
    private const string Hostile = "<img src=x onerror=alert(1)>\"'&";

    [Fact]
    public void AnEventMessageWithMarkupIsShownAsText()
    {
        var html = EventList.Markup([new EventLine(DateTimeOffset.UnixEpoch, "Warning", Hostile, Hostile, Hostile, 2)]);

        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", html, StringComparison.Ordinal);
        Assert.Contains("(×2)", html, StringComparison.Ordinal);
    }

    [Fact]
    public void APodWithMarkupInItsNameReasonAndNodeIsShownAsText()
    {
        var html = PodTable.Markup([new PodState(Hostile, true, Hostile, Hostile, 3, false, Hostile)]);

        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        Assert.DoesNotContain("\"'", html, StringComparison.Ordinal);
        Assert.Equal(5, html.Split("&lt;img").Length - 1);
    }

    [Fact]
    public void TheSameListIsRenderedOnceForEveryPageShowingIt()
    {
        IReadOnlyList<EventLine> events = [new EventLine(null, "Normal", "Scheduled", "pod/a", "assigned", 1)];

        Assert.Same(EventList.Markup(events), EventList.Markup(events));
        Assert.NotSame(EventList.Markup(events), EventList.Markup([.. events]));
    }
}
