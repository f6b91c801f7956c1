namespace Portal.Requests.Components;

/// <summary>
/// Re-applies a superseded or expired request's changes on top of the form pre-filled from the current revision. Secret
/// values cannot be carried over (they are never read back), so secrets it set must be typed again.
/// </summary>
public static class Resubmission
{
    /// <summary>
    /// The earlier request's desired state, through the same mapping as every form (<see cref="RequestForm.From"/>),
    /// with the current revision's secrets from <paramref name="current"/>.
    /// </summary>
    /// <returns>The form to edit, and notes for the user about what could not be carried over.</returns>
    public static (RequestForm Form, IReadOnlyList<string> Notes) Reapply(RequestForm current, DeploymentRequest earlier)
    {
        var form = RequestForm.From(earlier.Spec, new Dictionary<int, SecretValueInfo>());
        form.ImageDigest = earlier.Spec.ImageDigest;
        form.Secrets = current.Secrets;
        form.Comment = string.IsNullOrEmpty(earlier.Comment) ? $"Re-submit of #{earlier.Id}" : earlier.Comment;

        var notes = new List<string>();
        foreach (var change in earlier.SecretChanges)
        {
            var row = form.Secrets.Find(s => s.Key == change.Key);
            switch (change.Kind)
            {
                case SecretChangeKind.Removed when row is not null:
                    row.Remove = true;
                    break;
                case SecretChangeKind.Added when row is null:
                    form.Secrets.Add(new SecretRow { Key = change.Key });
                    notes.Add($"Request #{earlier.Id} added the secret {change.Key}: type its value again.");
                    break;
                case SecretChangeKind.Added or SecretChangeKind.Replaced:
                    notes.Add($"Request #{earlier.Id} changed the secret {change.Key}: use Replace to type its value again, or keep the current one.");
                    break;
            }
        }

        return (form, notes);
    }
}
