using Portal.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace Portal.Tests.Operations;

/// <summary>No Docker engine runs here: the compose file and Dockerfile are checked for the shape they must have.</summary>
public sealed class ContainerFilesTests
{
    private static readonly string Root = RepositoryRoot.Folder;

    [Fact]
    public void ComposeBuildsThePortalFromTheRepositoryRootAndPublishesPort8080WithADataVolume()
    {
        var portal = Service("portal");

        var build = (YamlMappingNode)portal["build"];
        Assert.Equal(".", Text(build["context"]));
        Assert.Equal("Portal/Dockerfile", Text(build["dockerfile"]));
        Assert.True(File.Exists(Path.Combine(Root, Text(build["context"]), Text(build["dockerfile"]))));
        Assert.Contains("8080:8080", Items(portal["ports"]));
        Assert.Contains("portal-data:/data", Items(portal["volumes"]));
        Assert.Contains("portal-data", ((YamlMappingNode)Compose()["volumes"]).Children.Keys.Select(Text));
        Assert.Equal("/data", Text(((YamlMappingNode)portal["environment"])["Portal__DataDirectory"]));
    }

    [Fact]
    public void K3sProfileStartsARealClusterAndPointsAPortalAtItsKubeconfig()
    {
        var k3s = Service("k3s");
        var portal = Service("portal-k3s");

        Assert.Contains("k3s", Items(k3s["profiles"]));
        Assert.StartsWith("rancher/k3s:", Text(k3s["image"]));
        Assert.Equal("true", Text(k3s["privileged"]));
        Assert.Equal(["k3s"], Items(portal["profiles"]));
        Assert.Equal("/kube/config", Text(((YamlMappingNode)portal["environment"])["Clusters__default__Kubeconfig"]));
        Assert.Contains("portal-kube:/kube:ro", Items(portal["volumes"]));
        Assert.Contains("https://k3s:6443", Text(Service("k3s-kubeconfig")["command"][2]));
    }

    [Fact]
    public void HaProfileRunsTwoPortalsOnPostgresAndRedisBehindAStickyProxy()
    {
        var portals = new[] { Service("portal-a"), Service("portal-b") };
        var proxy = Service("proxy");

        Assert.All(new[] { "postgres", "redis", "portal-a", "portal-b", "proxy", "k3s", "k3s-kubeconfig" }, name => Assert.Contains("ha", Items(Service(name)["profiles"])));
        Assert.StartsWith("postgres:", Text(Service("postgres")["image"]));
        Assert.StartsWith("redis:", Text(Service("redis")["image"]));
        var database = Text(((YamlMappingNode)Service("postgres")["environment"])["POSTGRES_DB"]);
        foreach (var portal in portals)
        {
            var environment = (YamlMappingNode)portal["environment"];
            Assert.Equal("selfservice-portal:latest", Text(portal["image"]));
            Assert.Equal("Postgres", Text(environment["Database__Provider"]));
            Assert.Contains("Host=postgres;", Text(environment["ConnectionStrings__Portal"]));
            Assert.Contains($"Database={database};", Text(environment["ConnectionStrings__Portal"]));
            Assert.StartsWith("redis:6379", Text(environment["ConnectionStrings__Redis"]));
            Assert.Equal("true", Text(environment["Leadership__Enabled"]));
            Assert.Equal("/kube/config", Text(environment["Clusters__default__Kubeconfig"]));
            Assert.Equal("service_healthy", Text(portal["depends_on"]["postgres"]["condition"]));
            Assert.Equal("service_healthy", Text(portal["depends_on"]["redis"]["condition"]));
            Assert.False(portal.Children.ContainsKey("ports"), "the portals are reached through the proxy only");
        }

        // Both instances must read each other's antiforgery and auth cookies: one key ring.
        Assert.Equal(Items(portals[0]["volumes"]).Single(v => v.EndsWith(":/data", StringComparison.Ordinal)), Items(portals[1]["volumes"]).Single(v => v.EndsWith(":/data", StringComparison.Ordinal)));
        Assert.Equal(["portal-a", "portal-b"], Items(proxy["depends_on"]));
        var config = Items(proxy["volumes"]).Single().Split(':');
        var lines = File.ReadAllLines(Path.Combine(Root, config[0])).Select(l => l.Trim()).ToList();
        var cookie = Assert.Single(lines, l => l.StartsWith("cookie ", StringComparison.Ordinal)).Split(' ');
        Assert.Contains("insert", cookie);
        var servers = lines.Where(l => l.StartsWith("server ", StringComparison.Ordinal)).Select(l => l.Split(' ')).ToList();
        Assert.Equal(["portal-a:8080", "portal-b:8080"], servers.Select(s => s[2]));
        Assert.All(servers, s => Assert.Equal(s[1], s[Array.IndexOf(s, "cookie") + 1]));
        Assert.Contains(lines, l => l.StartsWith("timeout tunnel", StringComparison.Ordinal));
        Assert.Contains(lines, l => l == $"bind :{Items(proxy["ports"]).Single().Split(':')[1]}");
    }

    [Fact]
    public void EveryNamedVolumeInUseIsDeclared()
    {
        var declared = ((YamlMappingNode)Compose()["volumes"]).Children.Keys.Select(Text).ToHashSet();
        var used = ((YamlMappingNode)Compose()["services"]).Children.Values.Cast<YamlMappingNode>()
            .Where(s => s.Children.ContainsKey("volumes"))
            .SelectMany(s => Items(s["volumes"]))
            .Select(v => v.Split(':')[0])
            .Where(source => !source.StartsWith('.') && !source.StartsWith('/') && !source.StartsWith('~'));

        Assert.All(used, volume => Assert.Contains(volume, declared));
    }

    [Fact]
    public void DockerfileRunsAsANonRootUserOnTheAspNetRuntimeImage()
    {
        var lines = File.ReadAllLines(Path.Combine(Root, "Portal", "Dockerfile")).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        var stages = lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();
        var finalStage = lines.Skip(lines.IndexOf(stages[^1])).ToList();

        Assert.True(stages.Count >= 2, "multi-stage build");
        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/sdk:10.0", stages[0]);
        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet:10.0", stages[^1]);
        Assert.Contains("EXPOSE 8080", finalStage);
        Assert.Contains("VOLUME /data", finalStage);
        var user = Assert.Single(finalStage, l => l.StartsWith("USER ", StringComparison.Ordinal));
        Assert.DoesNotContain("root", user);
        Assert.Contains(finalStage, l => l.StartsWith("ENTRYPOINT", StringComparison.Ordinal) && l.Contains("Portal.dll"));
    }

    [Fact]
    public void DockerfileCopiesEveryProjectThePortalBuildsFrom()
    {
        var dockerfile = File.ReadAllText(Path.Combine(Root, "Portal", "Dockerfile"));
        var references = System.Xml.Linq.XDocument.Load(Path.Combine(Root, "Portal", "Portal.csproj"))
            .Descendants("ProjectReference").Select(r => r.Attribute("Include")!.Value.Replace("../", "", StringComparison.Ordinal)).ToList();
        var compiled = System.Xml.Linq.XDocument.Load(Path.Combine(Root, "Portal", "Portal.csproj"))
            .Descendants("Compile").Select(c => c.Attribute("Include")!.Value.Replace("../", "", StringComparison.Ordinal).Split('/')[0]).ToList();

        Assert.NotEmpty(references);
        Assert.All(references, project => Assert.Contains($"COPY {Path.GetDirectoryName(project)}/ {Path.GetDirectoryName(project)}/", dockerfile));
        Assert.All(compiled, folder => Assert.Contains($"COPY {folder}/ {folder}/", dockerfile));
        Assert.Contains("COPY Directory.Build.props Directory.Packages.props ./", dockerfile);
    }

    private static YamlMappingNode Compose()
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(Path.Combine(Root, "docker-compose.yml"));
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    private static YamlMappingNode Service(string name) => (YamlMappingNode)((YamlMappingNode)Compose()["services"])[name];

    private static string Text(YamlNode node) => ((YamlScalarNode)node).Value ?? "";

    private static List<string> Items(YamlNode node) => ((YamlSequenceNode)node).Children.Select(Text).ToList();
}
