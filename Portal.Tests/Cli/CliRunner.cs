using System.Diagnostics;
using System.Text;
using Portal.Identity;
using Portal.Tests.Infrastructure;
using SelfService.Cli;

namespace Portal.Tests.Cli;

public sealed record CliRun(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}

/// <summary>Runs <c>selfservice</c> in-process through its entry point, with its own variables and captured output.</summary>
public static class CliRunner
{
    public static async Task<string> TokenAsync(this PortalApp app, string user) =>
        (await app.Get<PersonalAccessTokens>().CreateAsync(await app.PrincipalAsync(user), $"cli-{user}-{Guid.NewGuid():n}", 1)).Value!.Secret;

    public static Task<CliRun> RunAsync(Uri url, string token, params string[] args) => RunAsync(url, token, new CapturedWriter(), args);

    /// <summary>With <paramref name="output"/> passed in, a test can read what the command printed so far while it runs.</summary>
    public static async Task<CliRun> RunAsync(Uri url, string token, CapturedWriter output, params string[] args)
    {
        var error = new CapturedWriter();
        var variables = new Dictionary<string, string?> { [SelfServiceCli.UrlVariable] = url.ToString(), [SelfServiceCli.TokenVariable] = token };
        var code = await SelfServiceCli.RunAsync(args, output, error, name => variables.GetValueOrDefault(name));
        return new CliRun(code, output.ToString(), error.ToString());
    }

    /// <summary>Runs the built tool as its own process (<c>dotnet selfservice.dll</c>), with the variables set in its environment.</summary>
    public static async Task<CliRun> RunProcessAsync(Uri url, string token, params string[] args)
    {
        var tool = Path.Combine(AppContext.BaseDirectory, "selfservice.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(tool);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment[SelfServiceCli.UrlVariable] = url.ToString();
        start.Environment[SelfServiceCli.TokenVariable] = token;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return new CliRun(process.ExitCode, await output, await error);
    }
}

/// <summary>A writer a test may read while the command is still writing to it.</summary>
public sealed class CapturedWriter : TextWriter
{
    private readonly StringBuilder text = new();

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        lock (text)
        {
            text.Append(value);
        }
    }

    public override void Write(string? value)
    {
        lock (text)
        {
            text.Append(value);
        }
    }

    public override void Write(char[] buffer, int index, int count)
    {
        lock (text)
        {
            text.Append(buffer, index, count);
        }
    }

    public override string ToString()
    {
        lock (text)
        {
            return text.ToString();
        }
    }
}
