namespace Portal.Registry;

/// <summary>
/// Orders tag names with their numbers compared as numbers (<c>1.10</c> after <c>1.9</c>, <c>build-100</c> after
/// <c>build-99</c>). Tag lists carry no dates, so descending in this order is the best guess at "newest" for a
/// repository with more tags than are looked up, and the tie-break among tags of the same created time.
/// </summary>
internal sealed class TagNameOrder : IComparer<string>
{
    public static readonly TagNameOrder Instance = new();

    public int Compare(string? x, string? y)
    {
        if (x is null || y is null)
        {
            return x is null ? (y is null ? 0 : -1) : 1;
        }

        int i = 0, j = 0;
        while (i < x.Length && j < y.Length)
        {
            if (char.IsAsciiDigit(x[i]) && char.IsAsciiDigit(y[j]))
            {
                var endX = RunEnd(x, i);
                var endY = RunEnd(y, j);
                var numberX = x.AsSpan(i, endX - i).TrimStart('0');
                var numberY = y.AsSpan(j, endY - j).TrimStart('0');
                var byNumber = numberX.Length != numberY.Length
                    ? numberX.Length.CompareTo(numberY.Length)
                    : numberX.SequenceCompareTo(numberY);
                if (byNumber != 0)
                {
                    return byNumber;
                }

                (i, j) = (endX, endY);
            }
            else
            {
                var byChar = x[i].CompareTo(y[j]);
                if (byChar != 0)
                {
                    return byChar;
                }

                (i, j) = (i + 1, j + 1);
            }
        }

        var byLength = (x.Length - i).CompareTo(y.Length - j);
        return byLength != 0 ? byLength : string.CompareOrdinal(x, y);
    }

    private static int RunEnd(string value, int start)
    {
        var end = start;
        while (end < value.Length && char.IsAsciiDigit(value[end]))
        {
            end++;
        }

        return end;
    }
}
