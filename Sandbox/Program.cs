using System.Globalization;
using System.Runtime.InteropServices;

namespace Sandbox;

/// <summary>
/// The standalone entry point: dotnet run --project Sandbox -- --port 6443 --kubeconfig ./sandbox.kubeconfig [--state-dir DIR] [--speed N].
/// A named class rather than top-level statements, so that the portal, which embeds the Sandbox, keeps its own Program.
/// </summary>
internal static class SandboxProgram
{
    public static async Task<int> Main(string[] args)
    {
        var port = 6443;
        var kubeconfig = "./sandbox.kubeconfig";
        string? stateDirectory = null;
        var speed = 1.0;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--port": port = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--kubeconfig": kubeconfig = Value(); break;
                case "--state-dir": stateDirectory = Value(); break;
                case "--speed": speed = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                default:
                    Console.Error.WriteLine($"unknown argument {args[i]}\nusage: Sandbox [--port 6443] [--kubeconfig ./sandbox.kubeconfig] [--state-dir DIR] [--speed N]");
                    return 2;
            }
        }

        await using var host = new SandboxHost(new SandboxOptions
        {
            Port = port,
            StateDirectory = stateDirectory,
            Time = speed == 1.0 ? TimeProvider.System : new AcceleratedTimeProvider(speed),
            ConsoleLogging = true,
        });
        await host.StartAsync();
        await host.WriteKubeconfigAsync(kubeconfig);
        Console.WriteLine($"Sandbox serving {host.ServerUrl}; kubeconfig written to {Path.GetFullPath(kubeconfig)}. Ctrl+C stops it.");

        var stopped = new TaskCompletionSource();
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        await stopped.Task;
        return 0;

        void Stop(PosixSignalContext signal)
        {
            signal.Cancel = true;
            stopped.TrySetResult();
        }
    }
}
