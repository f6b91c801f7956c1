using System.CommandLine;

namespace SelfService.Cli;

/// <summary>
/// <c>selfservice</c>: the portal from a pipeline. The token comes from <c>SELFSERVICE_TOKEN</c> and the portal's
/// address from <c>SELFSERVICE_URL</c> (<c>--token</c> and <c>--url</c> override them). Tests call <see cref="RunAsync"/>
/// with their own writers and variables.
/// </summary>
public static class SelfServiceCli
{
    public const string TokenVariable = "SELFSERVICE_TOKEN";
    public const string UrlVariable = "SELFSERVICE_URL";

    public static async Task<int> Main(string[] args) =>
        await RunAsync(args, Console.Out, Console.Error, Environment.GetEnvironmentVariable);

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, Func<string, string?> environment, CancellationToken cancellationToken = default)
    {
        var root = Commands.Build(new CliConsole(output, error, environment));
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var parseError in parsed.Errors)
            {
                await error.WriteLineAsync(parseError.Message);
            }

            await error.WriteLineAsync("Run 'selfservice --help' for the commands and options.");
            return ExitCodes.Usage;
        }

        return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false }, cancellationToken);
    }
}

/// <summary>Where a command writes and where it reads its settings.</summary>
public sealed record CliConsole(TextWriter Out, TextWriter Error, Func<string, string?> Environment);
