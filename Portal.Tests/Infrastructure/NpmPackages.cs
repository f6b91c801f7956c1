using System.Diagnostics;
using System.Security.Cryptography;

namespace Portal.Tests.Infrastructure;

/// <summary>
/// npm packages the tests need (axe-core, oidc-provider), pinned by a committed package-lock.json and installed with
/// <c>npm ci</c> once per lock file into a folder outside the repository. One install at a time: test classes run in
/// parallel and may share the folder.
/// </summary>
public static class NpmPackages
{
    private static readonly SemaphoreSlim Installing = new(1, 1);

    /// <summary>
    /// The tools folder for the package.json and package-lock.json in <paramref name="source"/> (a folder of the
    /// repository), with <paramref name="extraFiles"/> copied beside them, after <c>npm ci</c> unless
    /// <paramref name="installed"/> (a path inside the folder) already exists.
    /// </summary>
    public static async Task<string> InstallAsync(string source, string name, string installed, params string[] extraFiles)
    {
        var lockFile = await File.ReadAllBytesAsync(Path.Combine(source, "package-lock.json"));
        var tools = Path.Combine(Path.GetTempPath(), "portal-tests-tools", $"{name}-" + Convert.ToHexString(SHA256.HashData(lockFile))[..12].ToLowerInvariant());
        await Installing.WaitAsync();
        try
        {
            Directory.CreateDirectory(tools);
            foreach (var file in new[] { "package.json", "package-lock.json" }.Concat(extraFiles))
            {
                File.Copy(Path.Combine(source, file), Path.Combine(tools, file), overwrite: true);
            }

            if (!Path.Exists(Path.Combine(tools, installed)))
            {
                var npm = new ProcessStartInfo("npm") { WorkingDirectory = tools, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                foreach (var arg in new[] { "ci", "--no-audit", "--no-fund", "--loglevel=error" })
                {
                    npm.ArgumentList.Add(arg);
                }

                using var install = Process.Start(npm)!;
                var output = install.StandardOutput.ReadToEndAsync();
                var error = install.StandardError.ReadToEndAsync();
                await install.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
                Assert.True(install.ExitCode == 0, $"npm ci failed: {await error}\n{await output}");
            }
        }
        finally
        {
            Installing.Release();
        }

        return tools;
    }
}
