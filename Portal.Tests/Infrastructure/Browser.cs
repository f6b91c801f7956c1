using Microsoft.Playwright;

namespace Portal.Tests.Infrastructure;

/// <summary>Debian's Chromium driven by Playwright; screenshots go to TestResults/screenshots at the repository root.</summary>
public sealed class Browser : IAsyncLifetime
{
    private IPlaywright? playwright;

    public IBrowser Chromium { get; private set; } = null!;

    public static string ScreenshotDirectory
    {
        get
        {
            var path = Path.Combine(RepositoryRoot.Folder, "TestResults", "screenshots");
            Directory.CreateDirectory(path);
            return path;
        }
    }

    public async Task InitializeAsync()
    {
        // Expectations wait for what a page shows next; on a busy two-core machine a Blazor round trip can take longer
        // than Playwright's 5 s default.
        Assertions.SetDefaultExpectTimeout(20_000);
        playwright = await Playwright.CreateAsync();
        Chromium = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Chromium is not null)
        {
            await Chromium.DisposeAsync();
        }

        playwright?.Dispose();
    }

    public static async Task WaitUntilInteractiveAsync(IPage page) =>
        await page.WaitForSelectorAsync("[data-interactive=true]", new PageWaitForSelectorOptions { Timeout = 20_000 });

    /// <summary>Signs a demo user in through the sign-in page and waits until <paramref name="returnUrl"/> is interactive.</summary>
    public static async Task SignInAsync(IPage page, string userName, string returnUrl)
    {
        await page.GotoAsync($"/account/signin?returnUrl={Uri.EscapeDataString(returnUrl)}");
        await page.FillAsync("#username", userName);
        await page.FillAsync("#password", "Demo123!");
        await page.ClickAsync("#signin-submit");
        await WaitUntilInteractiveAsync(page);
    }
}
