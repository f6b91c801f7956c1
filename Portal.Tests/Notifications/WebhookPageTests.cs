using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Portal.Notifications;
using Portal.Notifications.Pages;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Notifications;

public sealed class WebhookPageTests : PortalComponentTest
{
    public WebhookPageTests(PortalApp app)
        : base(app)
    {
        Services.AddSingleton(app.Get<TeamWebhooks>());
    }

    [Fact]
    public async Task AnApproverAddsAHookSeesItsSecretOnceSendsATestAndReadsTheDeliveryLog()
    {
        using var receiver = new WebhookReceiver();
        await SignInAsAsync("bob");
        RenderPopoverProvider();
        var page = Render<TeamWebhooksPage>(p => p.Add(x => x.Team, "payments"));

        page.Change("#webhook-url", receiver.Url);
        page.Change("#event-Succeeded", true);
        page.Click("#webhook-create");

        var secret = page.WaitForElement("#webhook-secret").TextContent;
        Assert.StartsWith("whsec_", secret);
        page.Click("[id$='-test']");
        await Poll.UntilAsync(() => receiver.Accepted.Count == 1, TimeSpan.FromSeconds(60), "The test event never reached the receiver.");
        Assert.Equal(WebhookPayloads.Signature(secret, receiver.Accepted[0].Body), receiver.Accepted[0].Signature);
        await Poll.UntilPassesAsync(
            () =>
            {
                page.Click("[id$='-refresh']");
                var row = page.Find("tr.delivery");
                Assert.Equal("Delivered", row.GetAttribute("data-state"));
                Assert.Contains("200", row.TextContent);
                return Task.CompletedTask;
            },
            TimeSpan.FromSeconds(30));

        // Seen again later, the page lists the hook and its log but never the secret.
        var again = Render<TeamWebhooksPage>(p => p.Add(x => x.Team, "payments"));
        again.WaitForAssertion(() => Assert.NotEmpty(again.FindAll("tr.delivery")));
        Assert.DoesNotContain(secret, again.Markup);
        Assert.Contains("http://127.0.0.1:", again.Markup);
    }

    [Fact]
    public async Task AnEmptyHookFormShowsTheMessagesNextToTheFieldsAndStoresNothing()
    {
        await SignInAsAsync("bob");
        var page = Render<TeamWebhooksPage>(p => p.Add(x => x.Team, "search"));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("#webhooks-problem")));

        var payments = Render<TeamWebhooksPage>(p => p.Add(x => x.Team, "payments"));
        var before = payments.FindAll("[id$='-test']").Count;
        payments.Change("#webhook-url", "not a url");
        payments.Click("#webhook-create");

        payments.WaitForAssertion(() => Assert.Contains("absolute http:// or https:// URL", payments.Find(".mud-input-control:has(#webhook-url)").TextContent));
        Assert.Contains("Choose at least one event", payments.Find("#webhook-events-error").TextContent);
        Assert.Equal(before, payments.FindAll("[id$='-test']").Count);
    }
}
