using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Playwright;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Accessibility;

/// <summary>One serious or critical axe-core finding: the rule, its impact and the elements it names.</summary>
public sealed record AxeViolation(string Page, string Rule, string Impact, string Help, IReadOnlyList<string> Targets)
{
    public override string ToString() => $"{Page}: {Rule} ({Impact}) {Help} at {string.Join(" | ", Targets.Take(5))}";
}

/// <summary>
/// axe-core (the npm package, pinned by the committed package-lock.json, installed once per lock file with npm ci into
/// a folder outside the repository), injected into a page by Playwright and run there.
/// </summary>
public static class AxeCore
{
    private static readonly SemaphoreSlim Installing = new(1, 1);

    public static async Task<string> ScriptAsync()
    {
        var source = Path.Combine(RepositoryRoot.Folder, "Portal.Tests", "Accessibility", "Axe");
        var lockFile = await File.ReadAllBytesAsync(Path.Combine(source, "package-lock.json"));
        var tools = Path.Combine(Path.GetTempPath(), "portal-tests-tools", "axe-core-" + Convert.ToHexString(SHA256.HashData(lockFile))[..12].ToLowerInvariant());
        var script = Path.Combine(tools, "node_modules", "axe-core", "axe.min.js");
        await Installing.WaitAsync();
        try
        {
            if (!File.Exists(script))
            {
                Directory.CreateDirectory(tools);
                foreach (var file in new[] { "package.json", "package-lock.json" })
                {
                    File.Copy(Path.Combine(source, file), Path.Combine(tools, file), overwrite: true);
                }

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

        return await File.ReadAllTextAsync(script);
    }

    /// <summary>Runs axe on the page as it is now (WCAG 2 A and AA rules) and returns its serious and critical violations.</summary>
    public static async Task<IReadOnlyList<AxeViolation>> ScanAsync(IPage page, string name, string script)
    {
        if (!await page.EvaluateAsync<bool>("() => typeof window.axe !== 'undefined'"))
        {
            await page.AddScriptTagAsync(new PageAddScriptTagOptions { Content = script });
        }

        var json = await page.EvaluateAsync<string>(
            """
            async () => {
              const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] });
              return JSON.stringify(result.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(' ')) })));
            }
            """);
        using var document = JsonDocument.Parse(json);
        return
        [
            .. document.RootElement.EnumerateArray()
                .Select(v => new AxeViolation(name, v.GetProperty("id").GetString()!, v.GetProperty("impact").GetString() ?? "", v.GetProperty("help").GetString()!, [.. v.GetProperty("targets").EnumerateArray().Select(t => t.GetString()!)]))
                .Where(v => v.Impact is "serious" or "critical"),
        ];
    }
}
