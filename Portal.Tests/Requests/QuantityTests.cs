using Portal.Cluster;

namespace Portal.Tests.Requests;

public sealed class QuantityTests
{
    [Theory]
    [InlineData("250m", 0.25)]
    [InlineData("1", 1)]
    [InlineData("1.5", 1.5)]
    [InlineData(".5", 0.5)]
    [InlineData("512Mi", 536870912)]
    [InlineData("1Gi", 1073741824)]
    [InlineData("1G", 1000000000)]
    [InlineData("128k", 128000)]
    [InlineData("1e3", 1000)]
    [InlineData("2E-3", 0.002)]
    public void KubernetesQuantitiesParseToTheirValue(string text, double expected) =>
        Assert.True(Quantity.TryParse(text, out var value) && value == (decimal)expected, $"{text} -> {value}");

    [Theory]
    [InlineData("")]
    [InlineData("lots")]
    [InlineData("512MB")]
    [InlineData("1.2.3")]
    [InlineData("Mi")]
    [InlineData("1 Gi")]
    public void NonQuantitiesAreRejected(string text) => Assert.False(Quantity.TryParse(text, out _));
}
