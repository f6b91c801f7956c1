using System.ComponentModel.DataAnnotations;

namespace Portal.Requests;

/// <summary>Settings under <c>Requests</c>.</summary>
public sealed class RequestsOptions
{
    public const string Section = "Requests";

    /// <summary>A request waiting longer than this for an approval expires.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00", ErrorMessage = "Requests:ApprovalTimeout must be between 1 minute and 365 days.")]
    public TimeSpan ApprovalTimeout { get; set; } = TimeSpan.FromHours(72);

    /// <summary>How often waiting requests are checked for expiry.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "Requests:ExpiryCheckInterval must be between 1 second and 1 day.")]
    public TimeSpan ExpiryCheckInterval { get; set; } = TimeSpan.FromMinutes(1);
}
