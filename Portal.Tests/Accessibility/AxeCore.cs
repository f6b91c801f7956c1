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
    public static async Task<string> ScriptAsync()
    {
        var script = Path.Combine("node_modules", "axe-core", "axe.min.js");
        var tools = await NpmPackages.InstallAsync(Path.Combine(RepositoryRoot.Folder, "Portal.Tests", "Accessibility", "Axe"), "axe-core", script);
        return await File.ReadAllTextAsync(Path.Combine(tools, script));
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
