using Portal.Catalog;
using Portal.Imports;
using Portal.Requests;

namespace Portal.Tests.Imports;

public sealed class ComposePlanTests
{
    private static ComposePlan Plan(string yaml)
    {
        var read = ComposeReader.Read(yaml);
        Assert.True(read.Succeeded, string.Join("; ", read.FieldErrors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")));
        return read.Value!.Plan;
    }

    private static IReadOnlyDictionary<string, string[]> Refusal(string yaml)
    {
        var read = ComposeReader.Read(yaml);
        Assert.False(read.Succeeded);
        Assert.Equal(OutcomeKind.Invalid, read.Kind);
        return read.FieldErrors;
    }

    [Fact]
    public void TheApiBecomesAWebServiceWithItsPortReplicasResourcesAndAnHttpReadinessProbe()
    {
        var api = Plan(ComposeSamples.ThreeServices()).Services.Single(s => s.ComposeName == "shop-api");

        Assert.Equal(("shop-api", "ghcr.io/example/shop-api", "1.4.2"), (api.Name, api.ImageRepository, api.ImageTag));
        Assert.Equal((ServiceKind.Web, 80, 2), (api.Kind, api.ContainerPort, api.Replicas));
        Assert.Equal(new ResourceSpec("250m", "500m", "256Mi", "512Mi"), api.Resources);
        Assert.Equal(ProbeKind.Http, api.Readiness!.Kind);
        Assert.Equal(("/healthz", 80, 20), (api.Readiness.Path, api.Readiness.Port, api.Readiness.InitialDelaySeconds));
        Assert.Equal((15, 5, 5), (api.Readiness.PeriodSeconds, api.Readiness.TimeoutSeconds, api.Readiness.FailureThreshold));
        Assert.Equal(["ASPNETCORE_ENVIRONMENT", "DATABASE_HOST"], api.EnvVars.Select(e => e.Name));
        Assert.Equal(["API_TOKEN"], api.SecretKeys);
        Assert.True(api.CanImport);
    }

    [Fact]
    public void TheApiListsWhatIsNotCarriedPerKey()
    {
        var api = Plan(ComposeSamples.ThreeServices()).Services.Single(s => s.ComposeName == "shop-api");
        var keys = api.NotCarried.Select(n => n.Key).ToList();

        Assert.Contains("services.shop-api.build", keys);
        Assert.Contains("services.shop-api.depends_on", keys);
        Assert.Contains("services.shop-api.logging", keys);
        Assert.Contains("services.shop-api.ports[0]", keys);
        var envFile = Assert.Single(api.NotCarried, n => n.Key == "services.shop-api.env_file");
        Assert.Contains("'.env'", envFile.Reason);
    }

    [Fact]
    public void AServiceWithoutPortsBecomesAWorkerWithItsListEnvironment()
    {
        var worker = Plan(ComposeSamples.ThreeServices()).Services.Single(s => s.ComposeName == "shop-worker");

        Assert.Equal((ServiceKind.Worker, 0, 1), (worker.Kind, worker.ContainerPort, worker.Replicas));
        Assert.Equal([new EnvVarSpec("QUEUE", "orders"), new EnvVarSpec("LOG_LEVEL", "info")], worker.EnvVars);
        Assert.Null(worker.Readiness);
        Assert.Contains(worker.Notes, n => n.Contains("No CPU", StringComparison.Ordinal));
    }

    [Fact]
    public void TheDatabaseGetsItsNamedVolumeAnExecProbeAndItsPasswordAsASecretKeyOnly()
    {
        var read = ComposeReader.Read(ComposeSamples.ThreeServices());
        var db = read.Value!.Plan.Services.Single(s => s.ComposeName == "shop-db");

        Assert.Equal(("postgres", "16", ServiceKind.Web, 5432), (db.ImageRepository, db.ImageTag, db.Kind, db.ContainerPort));
        Assert.Equal([new VolumeSpec("db-data", "1Gi", "/var/lib/postgresql/data", null, VolumeAccessMode.ReadWriteOnce)], db.Volumes);
        Assert.Contains(db.Notes, n => n.Contains("1Gi", StringComparison.Ordinal));
        Assert.Equal(ProbeKind.Exec, db.Readiness!.Kind);
        Assert.Equal(["sh", "-c", "pg_isready -U shop"], db.Readiness.Command);
        Assert.Equal(["POSTGRES_PASSWORD"], db.SecretKeys);
        Assert.Equal([new EnvVarSpec("POSTGRES_USER", "shop")], db.EnvVars);
        Assert.Contains(db.NotCarried, n => n.Key == "services.shop-db.volumes[1]" && n.Reason.Contains("bind mount", StringComparison.Ordinal));
        Assert.Contains(db.NotCarried, n => n.Key == "services.shop-db.privileged");
        Assert.Equal(ComposeSamples.DatabasePassword, read.Value.SecretValuesOf("shop-db")["POSTGRES_PASSWORD"]);
    }

    [Fact]
    public void ThePlanAsJsonHoldsNoSecretValue()
    {
        var read = ComposeReader.Read(ComposeSamples.ThreeServices());

        var json = System.Text.Json.JsonSerializer.Serialize(read.Value!.Plan);

        Assert.Contains("POSTGRES_PASSWORD", json);
        Assert.DoesNotContain(ComposeSamples.DatabasePassword, json);
        Assert.DoesNotContain("tok-123-abc", json);
        Assert.DoesNotContain(ComposeSamples.DatabasePassword, read.Value.ToString());
    }

    [Theory]
    [InlineData("0.5", "512M", "500m", "512Mi")]
    [InlineData("2", "1G", "2", "1Gi")]
    [InlineData("1.5", "1.5g", "1500m", "1536Mi")]
    [InlineData("0.001", "1073741824", "1m", "1Gi")]
    [InlineData("0.25", "300kb", "250m", "300Ki")]
    public void ComposeUnitsBecomeKubernetesQuantities(string cpus, string memory, string cpuQuantity, string memoryQuantity)
    {
        var plan = Plan($"""
            services:
              api:
                image: example/api:1
                deploy:
                  resources:
                    limits: {"{"} cpus: "{cpus}", memory: "{memory}" {"}"}
            """);

        Assert.Equal(new ResourceSpec(cpuQuantity, cpuQuantity, memoryQuantity, memoryQuantity), plan.Services[0].Resources);
    }

    [Theory]
    [InlineData("""["CMD", "wget", "-qO-", "http://127.0.0.1:3000/ready?full=1"]""", "/ready?full=1", 3000)]
    [InlineData("\"curl -fsS http://localhost/ || exit 1\"", "/", 80)]
    public void CurlOrWgetOfALocalUrlBecomesAnHttpProbe(string test, string path, int port)
    {
        var plan = Plan($"""
            services:
              api:
                image: example/api:1
                healthcheck:
                  test: {test}
            """);

        Assert.Equal(ProbeSpec.Http(path, port), plan.Services[0].Readiness);
    }

    [Fact]
    public void AMergeKeyBringsTheAnchoredSettings()
    {
        var plan = Plan("""
            x-common: &common
              environment:
                LOG_LEVEL: debug
              deploy:
                replicas: 3
            services:
              api:
                <<: *common
                image: example/api:1
            """);

        Assert.Equal((3, "LOG_LEVEL"), (plan.Services[0].Replicas, plan.Services[0].EnvVars.Single().Name));
    }

    [Fact]
    public void AnAliasBombIsRefusedBeforeItExpands()
    {
        var errors = Refusal(ComposeSamples.AliasBomb);

        Assert.Contains("alias bomb", Assert.Single(errors["file"]), StringComparison.Ordinal);
    }

    [Fact]
    public void AFileOverOneMegabyteIsRefusedWithoutReadingIt()
    {
        var errors = Refusal(ComposeSamples.Oversized());

        Assert.Contains("over 1 MB", Assert.Single(errors["file"]), StringComparison.Ordinal);
    }

    [Fact]
    public void PortsAsAMapAreRefusedNamingTheKey()
    {
        var errors = Refusal(ComposeSamples.PortsAsAMap);

        Assert.Contains("must be a list", Assert.Single(errors["services.api.ports"]), StringComparison.Ordinal);
    }

    [Fact]
    public void ReplicasInWordsAreRefusedNamingTheKey()
    {
        var errors = Refusal(ComposeSamples.ReplicasAsWords);

        Assert.Contains("'three'", Assert.Single(errors["services.api.deploy.replicas"]), StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownKeyIsRefusedNamingIt()
    {
        var errors = Refusal(ComposeSamples.UnknownKey);

        Assert.Contains("not a key of a compose service", Assert.Single(errors["services.api.imagePullSecrets"]), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("services: [api]", "services")]
    [InlineData("services:\n  api:\n    image: [a, b]", "services.api.image")]
    [InlineData("services:\n  api:\n    image: a:1\n    environment: 7", "services.api.environment")]
    [InlineData("services:\n  api:\n    image: a:1\n    volumes: [\"data:/d\"]", "services.api.volumes[0]")]
    [InlineData("services:\n  api:\n    image: a:1\n    healthcheck:\n      test: [CMD, x]\n      interval: soon", "services.api.healthcheck.interval")]
    [InlineData("services:\n  api:\n    image: a:1\n    deploy:\n      resources:\n        limits:\n          memory: lots", "services.api.deploy.resources.limits.memory")]
    [InlineData("services:\n  api: {image: a:1}\n  api: {image: b:1}", "file")]
    [InlineData("services:\n  api:\n    image: 'a:1\n", "file")]
    [InlineData("a: 1\n---\nb: 2\n", "file")]
    public void WrongShapesAreRefusedNamingWhere(string yaml, string key)
    {
        var errors = Refusal(yaml);

        Assert.True(errors.ContainsKey(key), $"Expected an error at {key}; got {string.Join(", ", errors.Keys)}");
    }

    [Fact]
    public void AServiceNameThatCannotBeAKubernetesNameIsAProblemOfThatService()
    {
        var service = Plan(ComposeSamples.InvalidName).Services.Single();

        Assert.False(service.CanImport);
        Assert.Contains(service.Problems, p => p.Contains("'9-Lives!' cannot be a portal service name", StringComparison.Ordinal));
    }

    [Fact]
    public void UnderscoresBecomeDashesWithANote()
    {
        var service = Plan("services:\n  order_api:\n    image: a/b:1\n    expose: [\"9000\"]").Services.Single();

        Assert.Equal(("order-api", 9000), (service.Name, service.ContainerPort));
        Assert.Contains(service.Notes, n => n.Contains("Registered as 'order-api'", StringComparison.Ordinal));
    }

    [Fact]
    public void AServiceWithOnlyABuildCannotBeImported()
    {
        var service = Plan("services:\n  api:\n    build: .\n").Services.Single();

        Assert.Contains(service.Problems, p => p.StartsWith("No image", StringComparison.Ordinal));
    }

    [Fact]
    public void InterpolatedAndShellValuesAreListedAsNotCarried()
    {
        var service = Plan("services:\n  api:\n    image: a/b:1\n    environment:\n      - URL=http://${HOST}/x\n      - FROM_SHELL\n      - PLAIN=$$HOME").Services.Single();

        Assert.Equal([new EnvVarSpec("PLAIN", "$HOME")], service.EnvVars);
        Assert.Contains(service.NotCarried, n => n.Key == "services.api.environment.URL");
        Assert.Contains(service.NotCarried, n => n.Key == "services.api.environment.FROM_SHELL");
    }
}
