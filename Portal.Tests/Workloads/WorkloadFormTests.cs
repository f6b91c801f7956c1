using Bunit;
using k8s;
using k8s.Models;
using Microsoft.EntityFrameworkCore;
using Portal.Catalog;
using Portal.Catalog.Pages;
using Portal.Requests;
using Portal.Requests.Pages;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Workloads;

/// <summary>Workers and volumes in the forms, the review and the service page, as a user sees them.</summary>
public sealed class WorkloadFormTests(PortalApp app) : PortalComponentTest(app)
{
    [Fact]
    public async Task AWorkerIsRegisteredWithoutBeingAskedForAPort()
    {
        await SignInAsAsync("alice");
        var cut = Render<ServiceEditor>();
        cut.Change("#service-name", "mail-worker");
        cut.Change("#service-image", "registry.example.com/payments/mail-worker");
        Assert.NotEmpty(cut.FindAll("#service-port"));

        await cut.InvokeAsync(() => cut.FindComponent<MudBlazor.MudSelect<ServiceKind>>().Instance.SelectOption(ServiceKind.Worker));

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("#service-port")));
        cut.Submit("form");
        cut.WaitForAssertion(() => Assert.EndsWith("/services/payments/mail-worker", CurrentUri));
        var stored = await App.WithDbAsync(db => db.Services.SingleAsync(s => s.Name == "mail-worker"));
        Assert.Equal((ServiceKind.Worker, 0), (stored.Kind, stored.ContainerPort));
    }

    [Fact]
    public async Task TheServicePageShowsTheDnsNameOfEachEnvironmentButNotForAWorker()
    {
        var web = await App.RegisterServiceAsync("dns-web");
        await RegisterWorkerAsync("dns-worker");
        await SignInAsAsync("alice");

        var page = Render<ServiceDetail>(p => p.Add(x => x.Team, "payments").Add(x => x.Name, web.Name));
        page.WaitForElement("#dns-staging");
        Assert.Equal("dns-web.payments-staging.svc.cluster.local:8080", page.Find("#dns-staging").TextContent);
        Assert.Equal("dns-web.payments-production.svc.cluster.local:8080", page.Find("#dns-production").TextContent);

        var worker = Render<ServiceDetail>(p => p.Add(x => x.Team, "payments").Add(x => x.Name, "dns-worker"));
        worker.WaitForElement("#kind-chip");
        Assert.Equal("worker", worker.Find("#kind-chip").TextContent.Trim());
        Assert.Empty(worker.FindAll("#dns-staging"));
        Assert.Contains("none (worker)", worker.Find("#detail-port").TextContent);
    }

    [Fact]
    public async Task TheEnvVarsFormOffersTheTeamsOtherWebServicesByTheirDnsName()
    {
        var service = await App.RegisterServiceAsync("env-dns-caller");
        await App.RegisterServiceAsync("env-dns-target");
        await RegisterWorkerAsync("env-dns-worker");
        await SignInAsAsync("alice");
        var popovers = RenderPopoverProvider();
        var cut = RenderForm(service.Name, "production");
        cut.Click("#add-env");
        cut.Change("#env-name-0", "TARGET_URL");

        cut.Click("#env-address-0 button");
        var items = popovers.WaitForElements(".env-address-item");
        Assert.Contains(items, i => i.TextContent.Contains("env-dns-target: env-dns-target.payments-production.svc.cluster.local:8080", StringComparison.Ordinal));
        Assert.DoesNotContain(items, i => i.TextContent.Contains("env-dns-worker", StringComparison.Ordinal));
        Assert.DoesNotContain(items, i => i.TextContent.Contains("env-dns-caller:", StringComparison.Ordinal));
        items.Single(i => i.TextContent.Contains("env-dns-target:", StringComparison.Ordinal)).Click();

        cut.WaitForAssertion(() => Assert.Equal("env-dns-target.payments-production.svc.cluster.local:8080", cut.Find("#env-value-0").GetAttribute("value")));
    }

    [Fact]
    public async Task AVolumeAddedInTheFormIsStoredInTheRequestAndFlaggedInTheReview()
    {
        var service = await App.RegisterServiceAsync("volume-form");
        await SignInAsAsync("alice");
        var cut = RenderForm(service.Name, "production");
        RequestFormTests.TypeTag(cut, "v1");

        cut.Click("#add-volume");
        cut.Change("#volume-name-0", "data");
        cut.Change("#volume-size-0", "5Gi");
        cut.Change("#volume-path-0", "/var/lib/data");
        cut.Submit("form");

        cut.WaitForElement("#review-step");
        var risks = cut.Find("#review-risks").TextContent;
        Assert.Contains("Volume data is ReadWriteOnce", risks);
        Assert.Contains("Use the Recreate strategy", risks);
        Assert.Contains("volume data 5Gi at /var/lib/data", cut.Find("#review-changes").TextContent);
        cut.Click("#submit");

        cut.WaitForAssertion(() => Assert.Matches(@"/requests/\d+$", CurrentUri));
        var id = int.Parse(CurrentUri[(CurrentUri.LastIndexOf('/') + 1)..]);
        var spec = await App.WithDbAsync(db => db.DeploymentRequests.Where(r => r.Id == id).Select(r => r.Spec).SingleAsync());
        Assert.Equal(new VolumeSpec("data", "5Gi", "/var/lib/data", null, VolumeAccessMode.ReadWriteOnce), Assert.Single(spec.Volumes!));

        // The approver sees the same flag on the request page.
        await SignInAsAsync("bob");
        var page = Render<RequestPage>(p => p.Add(x => x.Id, id));
        page.WaitForAssertion(() => Assert.Contains("Use the Recreate strategy", page.Find("#review-risks").TextContent));
        Assert.Contains("data 5Gi at /var/lib/data", page.Find("#spec-volumes").TextContent);
    }

    [Fact]
    public async Task TheStorageClassFieldSuggestsTheClustersClassesWithTheDefaultMarked()
    {
        // A class made in the cluster just now: what is offered comes from the cluster, not from a list in the portal.
        using (var kube = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(Path.Combine(App.DataDirectory, "sandbox.kubeconfig"))))
        {
            await kube.StorageV1.CreateStorageClassAsync(new V1StorageClass { Metadata = new() { Name = "fast-ssd" }, Provisioner = "example.com/ssd" });
        }

        var service = await App.RegisterServiceAsync("volume-classes");
        await SignInAsAsync("alice");
        var popovers = RenderPopoverProvider();
        var cut = RenderForm(service.Name, "staging");
        cut.Click("#add-volume");

        cut.Input("#volume-class-0", "s");

        popovers.WaitForAssertion(() => Assert.Equal(["fast-ssd", "standard (default)"], popovers.FindAll(".storage-class-option").Select(o => o.TextContent.Trim())));
        cut.WaitForAssertion(() => Assert.Contains("Empty: the cluster's default (standard)", cut.Find(".mud-input-control:has(#volume-class-0)").TextContent));
        popovers.FindAll(".mud-list-item").Single(i => i.QuerySelector(".storage-class-option[data-class=fast-ssd]") is not null).Click();
        cut.WaitForAssertion(() => Assert.Equal("fast-ssd", cut.Find("#volume-class-0").GetAttribute("value")));

        cut.Input("#volume-class-0", "fast");
        popovers.WaitForAssertion(() => Assert.Equal(["fast-ssd"], popovers.FindAll(".storage-class-option").Select(o => o.GetAttribute("data-class"))));
    }

    [Fact]
    public async Task ABadVolumeShowsTheMessageNextToTheFieldAndStoresNothing()
    {
        var service = await App.RegisterServiceAsync("volume-bad");
        await SignInAsAsync("alice");
        var cut = RenderForm(service.Name, "staging");
        RequestFormTests.TypeTag(cut, "v1");

        cut.Click("#add-volume");
        cut.Change("#volume-name-0", "data");
        cut.Change("#volume-size-0", "lots");
        cut.Change("#volume-path-0", "relative/path");
        cut.Submit("form");

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("Size must be a whole number of bytes", cut.Find(".mud-input-control:has(#volume-size-0)").TextContent);
            Assert.Contains("mount path must be an absolute path", cut.Find(".mud-input-control:has(#volume-path-0)").TextContent);
        });
        Assert.Empty(cut.FindAll("#review-step"));
        Assert.Equal(0, await App.WithDbAsync(db => db.DeploymentRequests.CountAsync(r => r.Service.Name == service.Name)));
    }

    [Fact]
    public async Task AWorkersFormAsksForNoPortAndNoIngress()
    {
        await RegisterWorkerAsync("form-worker");
        await SignInAsAsync("alice");

        var cut = RenderForm("form-worker", "staging");

        Assert.Empty(cut.FindAll("#container-port"));
        Assert.Empty(cut.FindAll("#ingress-enabled"));
        Assert.Contains("no port", cut.Find("#worker-note").TextContent);
    }

    private async Task RegisterWorkerAsync(string name)
    {
        var outcome = await App.Get<ServiceCatalog>().RegisterAsync(await App.PrincipalAsync("alice"), new ServiceForm
        {
            Name = name,
            Team = "payments",
            ImageRepository = $"registry.example.com/payments/{name}",
            Kind = ServiceKind.Worker,
        });
        Assert.True(outcome.Succeeded, outcome.Message);
    }

    private IRenderedComponent<RequestEditor> RenderForm(string service, string environment)
    {
        var cut = Render<RequestEditor>(p => p.Add(x => x.Team, "payments").Add(x => x.ServiceName, service).Add(x => x.EnvironmentName, environment));
        cut.WaitForElement("#image-tag");
        cut.WaitForElement(".image-tag-state[data-tags=loaded]");
        return cut;
    }
}
