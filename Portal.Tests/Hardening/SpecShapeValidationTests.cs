using Portal.Cluster;
using Portal.Requests;

namespace Portal.Tests.Hardening;

/// <summary>The shared validator on the new fields (Ingress, strategy, disruption budget, probes): each bad value is an error on its field.</summary>
public sealed class SpecShapeValidationTests
{
    private static readonly DeploymentEnvironment Staging = new() { Name = "staging" };

    public static TheoryData<string, string> BadHosts => new()
    {
        { "", "IngressHost" }, { "Shop.example.com", "IngressHost" }, { "shop_example.com", "IngressHost" }, { "-shop.example.com", "IngressHost" },
        { "shop.example.com.", "IngressHost" }, { "shop..example.com", "IngressHost" }, { "shop.example.com\n", "IngressHost" }, { "shop example.com", "IngressHost" },
        { "*", "IngressHost" }, { "*.", "IngressHost" }, { "a.*.example.com", "IngressHost" }, { "*example.com", "IngressHost" }, { "**.example.com", "IngressHost" },
        { "shop.*", "IngressHost" }, { "10.0.0.1", "IngressHost" }, { "192.168.1.255", "IngressHost" }, { "::1", "IngressHost" }, { "ä.example.com", "IngressHost" },
        { new string('a', 254), "IngressHost" }, { "*." + new string('a', 252), "IngressHost" }, { "shop.example.com:443", "IngressHost" }, { "https://shop.example.com", "IngressHost" },
    };

    public static TheoryData<string> GoodHosts => new()
    {
        "shop.example.com", "*.example.com", "*.a", "localhost", "a", "1.2.3", "10.0.0.256", "01.2.3.4", "xn--bcher-kva.example", new string('a', 253),
    };

    [Theory]
    [MemberData(nameof(BadHosts))]
    public void ABadHostIsAnErrorOnTheHost(string host, string field)
    {
        var errors = Validate(f => (f.IngressEnabled, f.IngressHost) = (true, host));

        Assert.True(errors.ContainsKey(field), $"no error for {host}: {string.Join("; ", errors.Keys)}");
    }

    [Theory]
    [MemberData(nameof(GoodHosts))]
    public void AHostTheApiServerTakesIsTaken(string host)
    {
        Assert.Empty(Validate(f => (f.IngressEnabled, f.IngressHost) = (true, host)));
    }

    [Theory]
    [InlineData("", IngressPathType.Prefix)]
    [InlineData("api", IngressPathType.Prefix)]
    [InlineData("/a b", IngressPathType.Prefix)]
    [InlineData("/a//b", IngressPathType.Exact)]
    [InlineData("/a/../b", IngressPathType.Prefix)]
    [InlineData("/a/.", IngressPathType.Prefix)]
    [InlineData("/a%2Fb", IngressPathType.Exact)]
    [InlineData("/a{b}", IngressPathType.Prefix)]
    [InlineData("relative", IngressPathType.ImplementationSpecific)]
    public void ABadPathIsAnErrorOnThePath(string path, IngressPathType type)
    {
        Assert.True(Validate(f => (f.IngressEnabled, f.IngressHost, f.IngressPath, f.IngressPathType) = (true, "shop.example.com", path, type)).ContainsKey("IngressPath"));
    }

    [Fact]
    public void ARegexPathIsTakenOnlyAsImplementationSpecific()
    {
        Assert.Empty(Validate(f => (f.IngressEnabled, f.IngressHost, f.IngressPath, f.IngressPathType) = (true, "shop.example.com", "/api/{id}", IngressPathType.ImplementationSpecific)));
    }

    [Theory]
    [InlineData("IngressTlsSecretName", "Shop_TLS", null, null)]
    [InlineData("IngressClusterIssuer", "shop-tls", "Lets Encrypt", null)]
    [InlineData("IngressClassName", null, null, "nginx!")]
    [InlineData("IngressTlsSecretName", null, "letsencrypt", null)]
    public void TlsIssuerAndClassAreNames(string field, string? tls, string? issuer, string? className)
    {
        var errors = Validate(f => (f.IngressEnabled, f.IngressHost, f.IngressTlsSecretName, f.IngressClusterIssuer, f.IngressClassName) = (true, "shop.example.com", tls, issuer, className));

        Assert.True(errors.ContainsKey(field), string.Join("; ", errors.Keys));
    }

    [Theory]
    [InlineData("", "25%", "MaxSurge")]
    [InlineData("x", "25%", "MaxSurge")]
    [InlineData("-1", "25%", "MaxSurge")]
    [InlineData("1.5", "25%", "MaxSurge")]
    [InlineData("25 %", "25%", "MaxSurge")]
    [InlineData("%", "25%", "MaxSurge")]
    [InlineData("1", "101%", "MaxUnavailable")]
    [InlineData("1", "25%%", "MaxUnavailable")]
    [InlineData("0", "0", "MaxUnavailable")]
    [InlineData("0%", "0", "MaxUnavailable")]
    [InlineData("0", "0%", "MaxUnavailable")]
    public void SurgeAndUnavailableAreNumbersOrPercentsAndNotBothZero(string surge, string unavailable, string field)
    {
        var errors = Validate(f => (f.MaxSurge, f.MaxUnavailable) = (surge, unavailable));

        Assert.True(errors.ContainsKey(field), string.Join("; ", errors.Keys));
    }

    [Theory]
    [InlineData("0", "1")]
    [InlineData("1", "0")]
    [InlineData("100%", "0%")]
    [InlineData("0%", "5%")]
    public void OneOfSurgeAndUnavailableMayBeZero(string surge, string unavailable)
    {
        Assert.Empty(Validate(f => (f.MaxSurge, f.MaxUnavailable) = (surge, unavailable)));
    }

    [Fact]
    public void RecreateIgnoresSurgeAndUnavailable()
    {
        Assert.Empty(Validate(f => (f.Strategy, f.MaxSurge, f.MaxUnavailable) = (RolloutStrategyKind.Recreate, "0", "0")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("half")]
    [InlineData("150%")]
    public void TheDisruptionBudgetIsANumberOrPercent(string value)
    {
        Assert.True(Validate(f => (f.DisruptionBudgetEnabled, f.DisruptionBudgetValue) = (true, value)).ContainsKey("DisruptionBudgetValue"));
    }

    [Theory]
    [InlineData(ProbeRole.Readiness, "PeriodSeconds", 0)]
    [InlineData(ProbeRole.Liveness, "TimeoutSeconds", 0)]
    [InlineData(ProbeRole.Startup, "FailureThreshold", 0)]
    [InlineData(ProbeRole.Readiness, "SuccessThreshold", 0)]
    [InlineData(ProbeRole.Liveness, "SuccessThreshold", 2)]
    [InlineData(ProbeRole.Startup, "SuccessThreshold", 2)]
    [InlineData(ProbeRole.Startup, "InitialDelaySeconds", -1)]
    [InlineData(ProbeRole.Startup, "PeriodSeconds", 3601)]
    public void ProbeTimingsAreInRange(ProbeRole role, string field, int value)
    {
        var errors = Validate(f =>
        {
            f.SetProbe(role, f.ProbeOf(role) with { Enabled = true });
            typeof(RequestForm).GetProperty($"{role}{field}")!.SetValue(f, value);
        });

        Assert.True(errors.ContainsKey($"{role}{field}"), string.Join("; ", errors.Keys));
    }

    [Theory]
    [InlineData(ProbeKind.Exec, "", "Command")]
    [InlineData(ProbeKind.Exec, "\n \n", "Command")]
    [InlineData(ProbeKind.Tcp, "", "Port")]
    [InlineData(ProbeKind.Http, "", "Path")]
    public void EachKindOfProbeNeedsItsTarget(ProbeKind kind, string text, string field)
    {
        var errors = Validate(f => f.SetProbe(ProbeRole.Startup, f.ProbeOf(ProbeRole.Startup) with { Enabled = true, Kind = kind, Command = text, Port = 0, Path = text }));

        Assert.True(errors.ContainsKey($"Startup{field}"), string.Join("; ", errors.Keys));
    }

    [Fact]
    public void AnExecProbeNeedsNoPortNorPath()
    {
        Assert.Empty(Validate(f => f.SetProbe(ProbeRole.Liveness, f.ProbeOf(ProbeRole.Liveness) with { Enabled = true, Kind = ProbeKind.Exec, Command = "cat\n/tmp/healthy", Port = 0, Path = "" })));
    }

    private static Dictionary<string, string[]> Validate(Action<RequestForm> change)
    {
        var form = RequestForm.FirstDeploy(8080, 10);
        form.ImageTag = "v1";
        change(form);
        return RequestValidator.Validate(form, Staging, new Dictionary<string, int>());
    }
}
