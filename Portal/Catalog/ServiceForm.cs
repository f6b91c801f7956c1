using System.ComponentModel.DataAnnotations;
using Portal.Cluster;
using Portal.Requests;

namespace Portal.Catalog;

/// <summary>What a user fills in to register or edit a service. The form and the API validate with this same class.</summary>
public sealed class ServiceForm : IValidatableObject
{
    public string Name { get; set; } = "";

    [Required(ErrorMessage = "Pick the team that owns the service.")]
    public string Team { get; set; } = "";

    public string ImageRepository { get; set; } = "";

    [Range(1, 65535, ErrorMessage = "Container port must be between 1 and 65535.")]
    public int ContainerPort { get; set; } = 8080;

    /// <summary>A worker has no port: the catalog stores 0 for it, whatever <see cref="ContainerPort"/> holds.</summary>
    public ServiceKind Kind { get; set; }

    public string? Description { get; set; }

    [MaxLength(500, ErrorMessage = "Repository link must be at most 500 characters.")]
    public string? RepositoryUrl { get; set; }

    [MaxLength(500, ErrorMessage = "Runbook link must be at most 500 characters.")]
    public string? RunbookUrl { get; set; }

    [MaxLength(500, ErrorMessage = "Contacts must be at most 500 characters.")]
    public string? Contacts { get; set; }

    public static ServiceForm From(Service service) => new()
    {
        Name = service.Name,
        Team = service.Team.Name,
        ImageRepository = service.ImageRepository,
        Kind = service.Kind,
        ContainerPort = service.ContainerPort,
        Description = service.Description,
        RepositoryUrl = service.RepositoryUrl,
        RunbookUrl = service.RunbookUrl,
        Contacts = service.Contacts,
    };

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // The name is also the name of the Kubernetes Service, a DNS-1035 label: '9lives' is refused there.
        if (KubernetesNames.ValidateServiceName(Name?.Trim(), "Service name") is { } nameError)
        {
            yield return new ValidationResult(nameError, [nameof(Name)]);
        }

        if (KubernetesNames.ValidateImageRepository(ImageRepository?.Trim()) is { } imageError)
        {
            yield return new ValidationResult(imageError, [nameof(ImageRepository)]);
        }

        if (FreeText.Validate(Description, "Description") is { } descriptionError)
        {
            yield return new ValidationResult(descriptionError, [nameof(Description)]);
        }

        foreach (var (field, value, label) in new[] { (nameof(RepositoryUrl), RepositoryUrl, "Repository link"), (nameof(RunbookUrl), RunbookUrl, "Runbook link") })
        {
            if (!string.IsNullOrWhiteSpace(value) && !IsWebLink(value.Trim()))
            {
                yield return new ValidationResult($"{label} must be an http:// or https:// URL.", [field]);
            }
        }
    }

    /// <summary>All field errors, the same ones the form shows, keyed by property name.</summary>
    public IReadOnlyDictionary<string, string[]> Errors()
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true);
        return results
            .SelectMany(r => r.MemberNames.DefaultIfEmpty("").Select(member => (member, message: r.ErrorMessage ?? "Invalid value.")))
            .GroupBy(e => e.member)
            .ToDictionary(g => g.Key, g => g.Select(e => e.message).Distinct().ToArray());
    }

    private static bool IsWebLink(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}
