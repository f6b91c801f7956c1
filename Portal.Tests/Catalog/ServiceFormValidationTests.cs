using Portal.Catalog;

namespace Portal.Tests.Catalog;

public sealed class ServiceFormValidationTests
{
    private static ServiceForm Valid() => new()
    {
        Name = "payments-api",
        Team = "payments",
        ImageRepository = "registry.example.com/payments/api",
        ContainerPort = 8080,
        RepositoryUrl = "https://git.example.com/payments/api",
    };

    [Theory]
    [InlineData(nameof(ServiceForm.Name), "", "Service name is required.")]
    [InlineData(nameof(ServiceForm.Name), "Payments", "Service name must be lowercase letters")]
    [InlineData(nameof(ServiceForm.Name), "payments_api", "Service name must be lowercase letters")]
    [InlineData(nameof(ServiceForm.Name), "-payments", "Service name must be lowercase letters")]
    [InlineData(nameof(ServiceForm.Name), "payments-", "Service name must be lowercase letters")]
    [InlineData(nameof(ServiceForm.Name), "a234567890123456789012345678901234567890123456789012345678901234", "at most 63 characters")]
    [InlineData(nameof(ServiceForm.ImageRepository), "", "Image repository is required.")]
    [InlineData(nameof(ServiceForm.ImageRepository), "registry.example.com/payments/api:v1", "without a tag or digest")]
    [InlineData(nameof(ServiceForm.ImageRepository), "registry.example.com/payments/api@sha256:abc", "without a tag or digest")]
    [InlineData(nameof(ServiceForm.ImageRepository), "registry.example.com/Payments/API", "must look like")]
    [InlineData(nameof(ServiceForm.ImageRepository), "registry.example.com//api", "must look like")]
    [InlineData(nameof(ServiceForm.RepositoryUrl), "git@example.com:payments/api.git", "http:// or https://")]
    [InlineData(nameof(ServiceForm.RunbookUrl), "ftp://example.com/runbook", "http:// or https://")]
    [InlineData(nameof(ServiceForm.Team), "", "Pick the team")]
    public void BadInputIsReportedOnItsField(string field, string value, string expected)
    {
        var form = Valid();
        typeof(ServiceForm).GetProperty(field)!.SetValue(form, value);

        var errors = form.Errors();

        Assert.Equal([field], errors.Keys);
        Assert.Contains(expected, errors[field][0]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65536)]
    [InlineData(-1)]
    public void ContainerPortOutsideTheTcpRangeIsRefused(int port)
    {
        var form = Valid();
        form.ContainerPort = port;

        Assert.Equal("Container port must be between 1 and 65535.", Assert.Single(form.Errors()[nameof(ServiceForm.ContainerPort)]));
    }

    [Theory]
    [InlineData("api")]
    [InlineData("payments/api")]
    [InlineData("registry.example.com:5000/payments/api")]
    [InlineData("localhost:5000/a/b/c")]
    [InlineData("ghcr.io/org/my_app.v2")]
    public void ImageRepositoriesInTheOciGrammarAreAccepted(string repository)
    {
        var form = Valid();
        form.ImageRepository = repository;

        Assert.Empty(form.Errors());
    }

    [Fact]
    public void TooLongDescriptionIsRefused()
    {
        var form = Valid();
        form.Description = new string('x', 2001);

        Assert.Contains(nameof(ServiceForm.Description), form.Errors().Keys);
    }
}
