using Portal.Cluster;

namespace Portal.Tests.Hardening;

/// <summary>The API server's grammars (k8s.io/apimachinery/pkg/util/validation), case by case.</summary>
public sealed class KubernetesNamesTests
{
    [Theory]
    [InlineData("a", true)]
    [InlineData("payments-api", true)]
    [InlineData("9lives", true)]
    [InlineData("a\n", false)]
    [InlineData("-a", false)]
    [InlineData("a-", false)]
    [InlineData("A", false)]
    [InlineData("a.b", false)]
    [InlineData("", false)]
    public void Dns1123Labels(string value, bool valid) =>
        Assert.Equal(valid, KubernetesNames.ValidateLabel(value, "name") is null);

    [Fact]
    public void Dns1123LabelsAreAtMost63Characters()
    {
        Assert.Null(KubernetesNames.ValidateLabel(new string('a', 63), "name"));
        Assert.Contains("at most 63", KubernetesNames.ValidateLabel(new string('a', 64), "name"));
    }

    [Theory]
    [InlineData("payments-api", true)]
    [InlineData("a9", true)]
    [InlineData("9lives", false)]
    [InlineData("-a", false)]
    [InlineData("a\n", false)]
    public void ServiceNamesAreDns1035Labels(string value, bool valid) =>
        Assert.Equal(valid, KubernetesNames.ValidateServiceName(value, "Service name") is null);

    [Theory]
    [InlineData("example.com", true)]
    [InlineData("a.b-c.d", true)]
    [InlineData("a..b", false)]
    [InlineData(".a", false)]
    [InlineData("a.", false)]
    [InlineData("A.b", false)]
    [InlineData("a.b\n", false)]
    public void Dns1123Subdomains(string value, bool valid) =>
        Assert.Equal(valid, KubernetesNames.ValidateSubdomain(value, "name") is null);

    [Fact]
    public void Dns1123SubdomainsAreAtMost253Characters()
    {
        var label = new string('a', 63);
        var atLimit = string.Join('.', label, label, label, new string('a', 61));
        Assert.Equal(253, atLimit.Length);
        Assert.Null(KubernetesNames.ValidateSubdomain(atLimit, "name"));
        Assert.NotNull(KubernetesNames.ValidateSubdomain(atLimit + "a", "name"));
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("v1.2_3-a", true)]
    [InlineData("A", true)]
    [InlineData("-a", false)]
    [InlineData("a_", false)]
    [InlineData("a b", false)]
    [InlineData("a\n", false)]
    public void LabelValues(string value, bool valid) =>
        Assert.Equal(valid, KubernetesNames.ValidateLabelValue(value, "label value") is null);

    [Fact]
    public void LabelValuesAreAtMost63Characters() =>
        Assert.NotNull(KubernetesNames.ValidateLabelValue(new string('a', 64), "label value"));

    [Theory]
    [InlineData("KEY", true)]
    [InlineData("key.name", true)]
    [InlineData("1key", true)]
    [InlineData("-_.", true)]
    [InlineData(".a", true)]
    [InlineData(".", false)]
    [InlineData("..", false)]
    [InlineData("..a", false)]
    [InlineData("KEY\n", false)]
    [InlineData("a b", false)]
    [InlineData("a/b", false)]
    [InlineData("", false)]
    public void ConfigMapKeys(string value, bool valid) =>
        Assert.Equal(valid, KubernetesNames.ValidateConfigMapKey(value, "key") is null);

    [Fact]
    public void ConfigMapKeysAreAtMost253Characters()
    {
        Assert.Null(KubernetesNames.ValidateConfigMapKey(new string('k', 253), "key"));
        Assert.NotNull(KubernetesNames.ValidateConfigMapKey(new string('k', 254), "key"));
    }

    [Theory]
    [InlineData("FOO", true)]
    [InlineData("my.env-name", true)]
    [InlineData("MY_ENV.NAME", true)]
    [InlineData("_x", true)]
    [InlineData("1FOO", false)]
    [InlineData("FOO\n", false)]
    [InlineData("A=B", false)]
    [InlineData(".", false)]
    [InlineData("..", false)]
    [InlineData("..x", false)]
    public void EnvVarNamesAreBothEnvVarNamesAndConfigMapKeys(string value, bool valid) =>
        Assert.Equal(valid, KubernetesNames.ValidateEnvVarName(value, "variable name") is null);

    [Fact]
    public void EnvVarNamesAreAtMost253Characters()
    {
        Assert.Null(KubernetesNames.ValidateEnvVarName(new string('A', 253), "variable name"));
        Assert.NotNull(KubernetesNames.ValidateEnvVarName(new string('A', 254), "variable name"));
        Assert.NotNull(KubernetesNames.ValidateEnvVarName(new string('A', 1_000_000), "variable name"));
    }

    [Theory]
    [InlineData("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true)]
    [InlineData("", true)]
    [InlineData("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n", false)]
    [InlineData("sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", false)]
    [InlineData("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", false)]
    [InlineData("sha512:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false)]
    public void ImageDigestsAreSha256With64LowercaseHexDigits(string value, bool valid) =>
        Assert.Equal(valid, KubernetesNames.ValidateImageDigest(value) is null);

    [Theory]
    [InlineData("v1.2.3", true)]
    [InlineData("_a", true)]
    [InlineData("v1\n", false)]
    [InlineData(".v1", false)]
    [InlineData("-v1", false)]
    [InlineData("v1:2", false)]
    public void ImageTags(string value, bool valid) =>
        Assert.Equal(valid, KubernetesNames.ValidateImageTag(value) is null);

    [Theory]
    [InlineData("registry.example.com/payments/api", true)]
    [InlineData("localhost:5000/a/b", true)]
    [InlineData("nginx", true)]
    [InlineData("registry.example.com/payments/api\n", false)]
    [InlineData("registry.example.com/Payments/api", false)]
    [InlineData("registry.example.com/payments/api:v1", false)]
    public void ImageRepositories(string value, bool valid) =>
        Assert.Equal(valid, KubernetesNames.ValidateImageRepository(value) is null);
}
