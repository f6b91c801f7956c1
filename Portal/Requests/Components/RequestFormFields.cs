using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Components.Forms;

namespace Portal.Requests.Components;

/// <summary>
/// Maps the validator's error keys (<c>MaxReplicas</c>, <c>EnvVars[2].Name</c>, <c>Secrets[0].NewValue</c>) to the
/// field of the form the input is bound to, so a message lands next to its input.
/// </summary>
public static partial class RequestFormFields
{
    [GeneratedRegex(@"\A(EnvVars|Secrets|Volumes)\[([0-9]+)\]\.([A-Za-z]+)\z")]
    private static partial Regex RowKey();

    public static FieldIdentifier Field(RequestForm form, string key)
    {
        var match = RowKey().Match(key);
        if (match.Success && int.TryParse(match.Groups[2].Value, out var index))
        {
            object? row = match.Groups[1].Value switch
            {
                nameof(RequestForm.EnvVars) => form.EnvVars.ElementAtOrDefault(index),
                nameof(RequestForm.Volumes) => form.Volumes.ElementAtOrDefault(index),
                _ => form.Secrets.ElementAtOrDefault(index),
            };
            if (row is not null)
            {
                return new FieldIdentifier(row, match.Groups[3].Value);
            }
        }

        return new FieldIdentifier(form, key);
    }

    /// <summary>Puts an outcome's field errors into the form's message store; returns the form-level message, if any.</summary>
    public static string? Show<T>(Outcome<T> outcome, RequestForm form, EditContext editContext, ValidationMessageStore store)
    {
        store.Clear();
        foreach (var (key, messages) in outcome.FieldErrors.Where(e => e.Key.Length > 0))
        {
            store.Add(Field(form, key), messages);
        }

        editContext.NotifyValidationStateChanged();
        if (outcome.FieldErrors.TryGetValue("", out var formMessages))
        {
            return string.Join(" ", formMessages);
        }

        return outcome.FieldErrors.Count > 0 ? "Some fields need a fix: see the messages next to them." : outcome.Message;
    }
}
