using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Playwright;

namespace CostConsole.E2E.Tests.Infrastructure;

/// <summary>
/// The console running as its own process on a loopback port, with the system Chromium driven by Playwright.
/// Pages open signed in as the admin (signed in once through the sign-in page; the session is reused); every page
/// a test opens records its console errors, and screenshots go to tests/artifacts/screenshots. The console's own log
/// is kept under app-logs in the test output folder, and its path is written to the output of every test that opens a
/// page, so a failure (say an error on a circuit) can be read from the server's side.
/// </summary>
public sealed class ConsoleBrowser : IAsyncLifetime
{
    public const string ApiKey = "cc-e2e-key-0123456789";

    public const string AdminEmail = "admin@e2e.local";

    /// <summary>The admin's password, and the one tests give the users they create.</summary>
    public const string Password = "E2e-password-2026";

    private readonly string _dataFolder = Path.Combine(Path.GetTempPath(), "costconsole-e2e", Guid.NewGuid().ToString("N"));
    private AppProcess? _app;
    private IPlaywright? _playwright;
    private string? _adminSession;

    public IBrowser Browser { get; private set; } = null!;

    public Uri BaseAddress => _app!.BaseAddress;

    /// <summary>The console's log, written as it runs.</summary>
    public string LogPath { get; } = Path.Combine(AppContext.BaseDirectory, "app-logs", $"console-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..8]}.log");

    public static string ScreenshotFolder { get; } = FindScreenshotFolder();

    /// <summary>
    /// A step waits up to 15 s for the page to show its outcome instead of Playwright's 5 s: on a machine shared with
    /// builds, a server round trip (a save that compiles the draft, a routed request) takes seconds at times.
    /// </summary>
    static ConsoleBrowser() => Assertions.SetDefaultExpectTimeout(15_000);

    public async ValueTask InitializeAsync()
    {
        _app = await AppProcess.StartAsync(_dataFolder, new Dictionary<string, string>
        {
            ["CostConsole:DevApiKey"] = ApiKey,
            ["CostConsole:StorePrompts"] = "true",
            ["CostConsole:Simulator:LatencyScale"] = "0",
            ["CostConsole:Admin:Email"] = AdminEmail,
            ["CostConsole:Admin:Password"] = Password,
            // An error on a circuit reaches the browser with its exception, so a failed test's message says what went wrong.
            ["DetailedErrors"] = "true",
        }, CancellationToken.None, environment: "Development", logPath: LogPath);

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    /// <summary>A browser context signed in as the admin.</summary>
    public async Task<IBrowserContext> NewSignedInContextAsync()
    {
        if (_adminSession is null)
        {
            await using var context = await Browser.NewContextAsync();
            var page = await context.NewPageAsync();
            await SignInAsync(page, AdminEmail, Password);
            _adminSession = await context.StorageStateAsync();
        }

        return await Browser.NewContextAsync(new BrowserNewContextOptions { StorageState = _adminSession, ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
    }

    /// <summary>Opens <paramref name="path"/> signed in as the admin.</summary>
    public async Task<ConsolePage> OpenAsync(string path)
    {
        var context = await NewSignedInContextAsync();
        return await GoAsync(await context.NewPageAsync(), path);
    }

    /// <summary>Signs in as <paramref name="email"/> in a fresh browser context, on the page sign-in leads to (or <paramref name="path"/>).</summary>
    public async Task<ConsolePage> OpenAsAsync(string email, string password, string? path = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
        var page = await context.NewPageAsync();
        var console = NewPage(page);
        await SignInAsync(page, email, password);
        if (path is not null)
        {
            return await GoAsync(page, path);
        }

        await WaitUntilInteractiveAsync(page);
        return console;
    }

    /// <summary>Fills and sends the sign-in form, and waits until the console has opened.</summary>
    public async Task SignInAsync(IPage page, string email, string password)
    {
        await page.GotoAsync(new Uri(BaseAddress, "/signin").ToString());
        await page.Locator("[data-testid='signin-email']").FillAsync(email);
        await page.Locator("[data-testid='signin-password']").FillAsync(password);
        await page.Locator("[data-testid='signin-submit']").ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/signin", StringComparison.Ordinal));
    }

    private async Task<ConsolePage> GoAsync(IPage page, string path)
    {
        var console = NewPage(page);
        await page.GotoAsync(new Uri(BaseAddress, path).ToString(), new PageGotoOptions { WaitUntil = WaitUntilState.NetworkIdle });
        await WaitUntilInteractiveAsync(page);
        return console;
    }

    private ConsolePage NewPage(IPage page)
    {
        TestContext.Current.TestOutputHelper?.WriteLine($"The console's log: {LogPath}");
        return new ConsolePage(page, LogPath);
    }

    /// <summary>
    /// The phone's size, 390 × 844. The console follows the new size a moment after the browser (the browser reports it to
    /// the server, which closes the menu drawer and sends the new layout, and the page slides left): this waits until the
    /// page has settled, so a screenshot shows the phone's layout and the next step does not race the redraw.
    /// </summary>
    public static async Task PhoneAsync(IPage page)
    {
        await page.SetViewportSizeAsync(390, 844);
        await page.WaitForFunctionAsync(
            "() => document.querySelector('.mud-drawer-responsive.mud-drawer--closed') !== null && document.querySelector('.mud-main-content').getBoundingClientRect().left < 1");
    }

    /// <summary>
    /// Back to the desktop size after a phone screenshot, once the console has redrawn for it (the menu drawer open again
    /// and the page beside it): a click in between can land on a row that is being moved and be lost.
    /// </summary>
    public static async Task DesktopAsync(IPage page)
    {
        await page.SetViewportSizeAsync(1440, 900);
        await page.WaitForFunctionAsync(
            "() => { const drawer = document.querySelector('.mud-drawer-responsive.mud-drawer--open'); return drawer !== null && Math.abs(document.querySelector('.mud-main-content').getBoundingClientRect().left - drawer.getBoundingClientRect().right) < 1; }");
    }

    /// <summary>Clicks on the prerendered page would be lost: wait until the layout says its circuit is live.</summary>
    public static Task WaitUntilInteractiveAsync(IPage page) =>
        page.WaitForSelectorAsync("html[data-interactive='true']", new PageWaitForSelectorOptions { State = WaitForSelectorState.Attached });

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        try
        {
            Directory.Delete(_dataFolder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    private static string FindScreenshotFolder()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "CostConsole.sln")))
        {
            directory = directory.Parent;
        }

        var folder = Path.Combine(directory?.FullName ?? Path.GetTempPath(), "tests", "artifacts", "screenshots");
        Directory.CreateDirectory(folder);
        return folder;
    }
}

/// <summary>A browser page of the console, with the errors its console has logged.</summary>
public sealed class ConsolePage
{
    private readonly List<string> _errors = [];
    private readonly string? _logPath;

    public ConsolePage(IPage page, string? logPath = null)
    {
        Page = page;
        _logPath = logPath;
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                _errors.Add(message.Text);
            }
        };
        page.PageError += (_, error) => _errors.Add(error);
    }

    public IPage Page { get; }

    public IReadOnlyList<string> Errors => _errors;

    /// <summary>Fails with the errors the browser logged and where the console's log of the same moments is.</summary>
    public void AssertNoErrors()
    {
        if (_errors.Count > 0)
        {
            Assert.Fail($"The browser logged {_errors.Count} error(s):{Environment.NewLine}{string.Join(Environment.NewLine, _errors)}{Environment.NewLine}The console's log: {_logPath ?? "not kept"}");
        }
    }

    public ILocator TestId(string id) => Page.Locator($"[data-testid='{id}']");

    /// <summary>The input of a MudBlazor field, wherever the component put the test id (on the input or around it).</summary>
    public ILocator Input(string id) => Page.Locator($"input[data-testid='{id}'], [data-testid='{id}'] input").First;

    /// <summary>
    /// Opens a form (a dialog or an editor) and waits until the cursor is in its first field, as a person would see it
    /// before typing. The form moves the focus there a moment after it appears (a round trip to the server): on a busy
    /// machine, text typed into another field before that would land in the first one.
    /// </summary>
    public async Task OpenFormAsync(string opener, string firstField)
    {
        await TestId(opener).ClickAsync();
        await Assertions.Expect(Input(firstField)).ToBeFocusedAsync();
    }

    /// <param name="fullPage">False keeps what a person sees in the window, e.g. with a drawer open.</param>
    public Task ScreenshotAsync(string name, bool fullPage = true) =>
        Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ConsoleBrowser.ScreenshotFolder, name + ".png"), FullPage = fullPage });
}
