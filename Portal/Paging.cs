using System.Globalization;

namespace Portal;

/// <summary>
/// Which page of a list to show: <see cref="Page"/> counts from 1. The one place that reads paging from a query string
/// (a bad value is a field error naming the parameter) and bounds it for a query.
/// </summary>
public readonly record struct Paging(int Page, int PageSize)
{
    /// <summary>How many rows come before this page.</summary>
    public int Skip => (Page - 1) * PageSize;

    /// <summary>Parsed here rather than bound, so that a bad value is a ProblemDetails naming the parameter.</summary>
    public static Paging Parse(string? page, string? pageSize, int defaultPageSize, int maxPageSize, IDictionary<string, string[]> errors)
    {
        var pageNumber = 1;
        if (page is not null && (!int.TryParse(page, NumberStyles.None, CultureInfo.InvariantCulture, out pageNumber) || pageNumber < 1))
        {
            errors["page"] = [$"'{page}' is not a page number: use a whole number from 1."];
        }

        var size = defaultPageSize;
        if (pageSize is not null && (!int.TryParse(pageSize, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size < 1 || size > maxPageSize))
        {
            errors["pageSize"] = [$"'{pageSize}' is not a page size: use a whole number from 1 to {maxPageSize}."];
        }

        return new Paging(Math.Max(1, pageNumber), Math.Clamp(size, 1, maxPageSize));
    }

    /// <summary>For callers in the app (pages): out-of-range values are brought into range.</summary>
    public static Paging Bounded(int page, int pageSize, int maxPageSize) => new(Math.Max(1, page), Math.Clamp(pageSize, 1, maxPageSize));
}
