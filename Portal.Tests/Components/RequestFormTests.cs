using AngleSharp.Dom;
using Bunit;
using Microsoft.EntityFrameworkCore;
using Portal.Requests;
using Portal.Requests.Pages;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Components;

public sealed class RequestFormTests(PortalApp app) : PortalComponentTest(app)
{
    [Theory]
    [InlineData("bad image tag", "#image-tag", "An image tag is up to 128 letters")]
    [InlineData("replicas above the environment's maximum", "#replicas", "Replicas must be between 0 and 10 in staging.")]
    [InlineData("autoscaling minimum above the maximum", "#max-replicas", "Maximum replicas (3) must be at least the minimum (5).")]
    [InlineData("CPU target 0", "#cpu-target", "CPU target must be between 1 and 100 %.")]
    [InlineData("CPU target 101", "#cpu-target", "CPU target must be between 1 and 100 %.")]
    [InlineData("memory target 101", "#memory-target", "Memory target must be between 1 and 100 %, or empty.")]
    [InlineData("bad CPU quantity", "#cpu-limit", "CPU limit must be a positive Kubernetes quantity")]
    [InlineData("bad memory quantity", "#memory-request", "Memory request must be a positive Kubernetes quantity")]
    [InlineData("request above its limit", "#cpu-request", "CPU request (2) must not be above the limit (500m).")]
    [InlineData("bad env var name", "#env-name-0", "'1_BAD' is not a valid variable name")]
    [InlineData("duplicate env var", "#env-name-1", "LOG_LEVEL is listed twice.")]
    [InlineData("bad secret key", "#secret-key-0", "'bad key!' is not a valid secret key")]
    [InlineData("new secret without a value", "#secret-value-0", "Give a value for the new secret API_KEY.")]
    [InlineData("probe path without a slash", "#readiness-path", "Readiness probe path must start with '/'")]
    [InlineData("probe port 0", "#readiness-port", "Readiness probe port must be between 1 and 65535.")]
    [InlineData("container port 70000", "#container-port", "Container port must be between 1 and 65535.")]
    [InlineData("env var name with a trailing newline", "#env-name-0", "is not a valid variable name")]
    [InlineData("env var name of 300 characters", "#env-name-0", "must be at most 253 characters")]
    [InlineData("secret key '..'", "#secret-key-0", "must not be '..'")]
    [InlineData("secret key '..x'", "#secret-key-0", "must not start with '..'")]
    [InlineData("image tag with a trailing newline", "#image-tag", "An image tag is up to 128")]
    [InlineData("comment of 1001 characters", "#comment", "at most 1000 characters")]
    public async Task BadInputShowsItsMessageNextToItsFieldAndStoresNothing(string input, string field, string message)
    {
        await SignInAsAsync("alice");
        var before = await CountStoredAsync();
        var cut = RenderForm("payments-api", "staging");
        TypeTag(cut, "v1");

        Enter(cut, input);
        cut.Submit("form");

        cut.WaitForAssertion(() =>
        {
            var control = cut.Find($".mud-input-control:has({field})");
            Assert.Contains(message, control.QuerySelector(".mud-input-helper-text")?.TextContent ?? "");
            Assert.Contains("mud-input-error", control.InnerHtml);
        });
        Assert.Empty(cut.FindAll("#review-step"));
        Assert.Contains("Some fields need a fix", cut.Find("#form-message").TextContent);
        Assert.Equal(before, await CountStoredAsync());
    }

    [Fact]
    public async Task ReviewOfAFirstProductionDeployFlagsItAndSaysAnApprovalIsNeeded()
    {
        await App.RegisterServiceAsync("first-prod");
        await SignInAsAsync("alice");
        var cut = RenderForm("first-prod", "production");

        TypeTag(cut, "v1");
        cut.Submit("form");

        cut.WaitForElement("#review-step");
        var lines = Texts(cut, ".review-change");
        Assert.Equal("first deploy to production: image v1, 2 replicas", lines[0]);
        // Edge 16: a first deploy shows everything it sets, not only the image.
        Assert.Contains(lines, l => l.StartsWith("resources: CPU ", StringComparison.Ordinal) && l.Contains("memory", StringComparison.Ordinal));
        Assert.Contains("readiness probe: GET /healthz on port 8080 after 5s", lines);
        Assert.Contains("no liveness probe", lines);
        Assert.Contains("container port 8080", lines);
        Assert.Equal(["First deploy to production."], Texts(cut, ".risk-flag"));
        Assert.Contains("production requires an approval", cut.Find("#approval-note").TextContent);
        Assert.Equal(0, await App.WithDbAsync(db => db.DeploymentRequests.CountAsync(r => r.Service.Name == "first-prod")));
    }

    [Fact]
    public async Task ReviewShowsEachChangeAgainstTheCurrentRevisionAndFlagsScalingToZero()
    {
        await App.RegisterServiceAsync("review-diff");
        var first = await App.SubmitRequestAsync("alice", "review-diff", "staging", form =>
        {
            form.ImageTag = "v1";
            form.Replicas = 3;
            form.Secrets.Add(new SecretRow { Key = "DB_PASSWORD", NewValue = "first-password" });
        });
        await App.MarkDeployedAsync(first.Id);
        await SignInAsAsync("alice");
        var cut = RenderForm("review-diff", "staging");

        Assert.Contains("Starts from revision 1", cut.Find("#form-basis").TextContent);
        Assert.Contains("set by alice", cut.Find("#secrets").TextContent);
        Assert.Empty(cut.FindAll("#secret-value-0"));
        TypeTag(cut, "v2");
        cut.Change("#replicas", "5");
        cut.Click("#replace-secret-0");
        cut.Change("#secret-value-0", "second-password");
        cut.Submit("form");

        cut.WaitForElement("#review-step");
        Assert.Equal(["image v1 → v2", "replicas 3 → 5", "secret DB_PASSWORD changed"], Texts(cut, ".review-change"));
        Assert.Empty(cut.FindAll(".risk-flag"));

        cut.Click("#back");
        cut.Change("#replicas", "0");
        cut.Submit("form");

        cut.WaitForElement("#review-step");
        Assert.Contains("replicas 3 → 0", Texts(cut, ".review-change"));
        Assert.Equal(["Scales to 0: the service stops serving."], Texts(cut, ".risk-flag"));
    }

    [Fact]
    public async Task UnchangedFormIsRefusedWithAFormLevelMessage()
    {
        await App.RegisterServiceAsync("no-change");
        await App.MarkDeployedAsync((await App.SubmitRequestAsync("alice", "no-change", "staging", form => form.ImageTag = "v1")).Id);
        await SignInAsAsync("alice");
        var cut = RenderForm("no-change", "staging");

        cut.Submit("form");

        cut.WaitForAssertion(() => Assert.Equal("Nothing changes compared to revision 1.", cut.Find("#form-message").TextContent.Trim()));
        Assert.Empty(cut.FindAll("#review-step"));
    }

    [Fact]
    public async Task ValidSubmitStoresOneRequestAndOpensItsPage()
    {
        await SignInAsAsync("alice");
        var before = await App.WithDbAsync(db => db.DeploymentRequests.CountAsync());
        var cut = RenderForm("payments-api", "staging");
        TypeTag(cut, "v7");
        TurnOnAutoscaling(cut);
        cut.Change("#min-replicas", "2");
        cut.Change("#max-replicas", "6");
        cut.Click("#preset-L");
        cut.Click("#add-env");
        cut.Change("#env-name-0", "LOG_LEVEL");
        cut.Change("#env-value-0", "debug");
        cut.Change("#comment", "Bigger and autoscaled");
        cut.Submit("form");
        cut.WaitForElement("#review-step");

        cut.Click("#submit");

        cut.WaitForAssertion(() => Assert.Matches(@"/requests/\d+$", CurrentUri));
        Assert.Equal(before + 1, await App.WithDbAsync(db => db.DeploymentRequests.CountAsync()));
        var id = int.Parse(CurrentUri[(CurrentUri.LastIndexOf('/') + 1)..]);
        var stored = await App.WithDbAsync(db => db.DeploymentRequests.SingleAsync(r => r.Id == id));
        Assert.Equal(("v7", new AutoscalingSpec(2, 6, 70, null), ResourcePreset.Large.CpuLimit, "Bigger and autoscaled"),
            (stored.ImageTag, stored.Spec.Autoscaling, stored.Spec.Resources.CpuLimit, stored.Comment));
        Assert.Equal([new EnvVarSpec("LOG_LEVEL", "debug")], stored.Spec.EnvVars);
        // Staging needs no approval: approved by policy, then taken on by the apply worker.
        Assert.NotEqual(RequestState.AwaitingApproval, stored.State);
        Assert.Equal("policy", await App.WithDbAsync(db => db.RequestDecisions.Where(d => d.RequestId == id).Select(d => d.DecidedBy).SingleAsync()));
    }

    [Fact]
    public async Task TypedSecretValuesAreGoneFromTheFormAfterSubmitAndNeverShownOnTheRequestPage()
    {
        const string value = "typed-secret-value-4711";
        await App.RegisterServiceAsync("secret-form");
        await SignInAsAsync("alice");
        var cut = RenderForm("secret-form", "production");
        TypeTag(cut, "v1");
        cut.Click("#add-secret");
        cut.Change("#secret-key-0", "API_TOKEN");
        cut.Change("#secret-value-0", value);
        Assert.Equal("password", cut.Find("#secret-value-0").GetAttribute("type"));
        cut.Submit("form");
        cut.WaitForElement("#review-step");
        Assert.Contains("secret API_TOKEN added", cut.Markup);

        cut.Click("#submit");

        cut.WaitForAssertion(() =>
        {
            Assert.Matches(@"/requests/\d+$", CurrentUri);
            Assert.Contains("Submitted. Opening the request", cut.Markup);
        });
        Assert.DoesNotContain(value, cut.Markup);
        var id = int.Parse(CurrentUri[(CurrentUri.LastIndexOf('/') + 1)..]);
        foreach (var user in new[] { "alice", "bob" })
        {
            await SignInAsAsync(user);
            var page = Render<RequestPage>(p => p.Add(x => x.Id, id));
            page.WaitForAssertion(() => Assert.Contains("API_TOKEN", page.Find("#spec-secrets").TextContent));
            Assert.Contains("set by alice", page.Find("#spec-secrets").TextContent);
            Assert.DoesNotContain(value, page.Markup);
        }
    }

    [Fact]
    public async Task OtherTeamsMemberIsToldTheyCannotDeployTheService()
    {
        await SignInAsAsync("dave");

        var cut = Render<RequestEditor>(p => p.Add(x => x.Team, "payments").Add(x => x.ServiceName, "payments-api").Add(x => x.EnvironmentName, "staging"));

        cut.WaitForAssertion(() => Assert.Contains("Only members of payments can request deployments of payments-api.", cut.Find("#form-problem").TextContent));
        Assert.Empty(cut.FindAll("form"));
    }

    private IRenderedComponent<RequestEditor> RenderForm(string service, string environment)
    {
        var cut = Render<RequestEditor>(p => p.Add(x => x.Team, "payments").Add(x => x.ServiceName, service).Add(x => x.EnvironmentName, environment));
        cut.WaitForElement("#image-tag");
        // The tag field loads the registry's listing after the first render and renders again: act on the settled form.
        cut.WaitForElement(".image-tag-state[data-tags=loaded]");
        return cut;
    }

    /// <summary>
    /// Types a tag into the picker and leaves it, as a user typing a tag by hand does. Leaving the picker finishes
    /// asynchronously: a click dispatched meanwhile waits its turn, so elements a click adds are waited for, not found.
    /// </summary>
    internal static void TypeTag(IRenderedComponent<RequestEditor> cut, string tag)
    {
        cut.Input("#image-tag", tag);
        cut.Blur("#image-tag");
    }

    private static void TurnOnAutoscaling(IRenderedComponent<RequestEditor> cut)
    {
        cut.Change("#autoscaling", true);
        cut.WaitForElement("#min-replicas");
    }

    private static void Enter(IRenderedComponent<RequestEditor> cut, string input)
    {
        switch (input)
        {
            case "bad image tag":
                TypeTag(cut, "-not a tag");
                break;
            case "replicas above the environment's maximum":
                cut.Change("#replicas", "11");
                break;
            case "autoscaling minimum above the maximum":
                TurnOnAutoscaling(cut);
                cut.Change("#min-replicas", "5");
                cut.Change("#max-replicas", "3");
                break;
            case "CPU target 0":
                TurnOnAutoscaling(cut);
                cut.Change("#cpu-target", "0");
                break;
            case "CPU target 101":
                TurnOnAutoscaling(cut);
                cut.Change("#cpu-target", "101");
                break;
            case "memory target 101":
                TurnOnAutoscaling(cut);
                cut.Change("#memory-target", "101");
                break;
            case "bad CPU quantity":
                cut.Change("#cpu-limit", "lots");
                break;
            case "bad memory quantity":
                cut.Change("#memory-request", "1 GB");
                break;
            case "request above its limit":
                cut.Change("#cpu-request", "2");
                break;
            case "bad env var name":
                cut.Click("#add-env");
                cut.Change("#env-name-0", "1_BAD");
                break;
            case "duplicate env var":
                cut.Click("#add-env");
                cut.Click("#add-env");
                cut.Change("#env-name-0", "LOG_LEVEL");
                cut.Change("#env-name-1", "LOG_LEVEL");
                break;
            case "bad secret key":
                cut.Click("#add-secret");
                cut.Change("#secret-key-0", "bad key!");
                cut.Change("#secret-value-0", "value");
                break;
            case "new secret without a value":
                cut.Click("#add-secret");
                cut.Change("#secret-key-0", "API_KEY");
                break;
            case "probe path without a slash":
                cut.Change("#readiness-path", "healthz");
                break;
            case "probe port 0":
                cut.Change("#readiness-port", "0");
                break;
            case "env var name with a trailing newline":
                cut.Click("#add-env");
                cut.Change("#env-name-0", "FOO\n");
                break;
            case "env var name of 300 characters":
                cut.Click("#add-env");
                cut.Change("#env-name-0", new string('A', 300));
                break;
            case "secret key '..'":
                cut.Click("#add-secret");
                cut.Change("#secret-key-0", "..");
                cut.Change("#secret-value-0", "value");
                break;
            case "secret key '..x'":
                cut.Click("#add-secret");
                cut.Change("#secret-key-0", "..x");
                cut.Change("#secret-value-0", "value");
                break;
            case "image tag with a trailing newline":
                TypeTag(cut, "v1\n");
                break;
            case "comment of 1001 characters":
                cut.Change("#comment", new string('c', 1001));
                break;
            case "container port 70000":
                cut.Change("#container-port", "70000");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(input), input, "No such case.");
        }
    }

    private static List<string> Texts(IRenderedComponent<RequestEditor> cut, string selector) =>
        [.. cut.FindAll(selector).Select(e => e.TextContent.Trim())];

    private Task<(int Requests, int Secrets)> CountStoredAsync() =>
        App.WithDbAsync(async db => (await db.DeploymentRequests.CountAsync(), await db.SecretValues.CountAsync()));
}
