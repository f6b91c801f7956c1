namespace Portal.Tests.Infrastructure;

/// <summary>The folder that holds SelfService.sln, found from the test binaries: for tests that read the repository's files.</summary>
public static class RepositoryRoot
{
    private static readonly Lazy<string> Found = new(() =>
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "SelfService.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("SelfService.sln not found above the test binaries.");
    });

    public static string Folder => Found.Value;
}
