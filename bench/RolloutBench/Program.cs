// Live rollout status, end to end: a Sandbox (in this process, --speed 4) and a Release portal (its own process, reaching
// the Sandbox through Clusters:default:Kubeconfig), measured from the outside with a raw watch and SignalR hub clients.
// Run: dotnet run -c Release --project bench/RolloutBench [-- --section a,b,c,d,e] [--rollouts 20] [--viewers 100,500,1000]
// Sections: (a) hub vs raw watch per Deployment state, (b) own PATCH /scale, (c) fan-out to many viewers,
// (d) live rollout pages in Chromium (CircuitMemory), (e) submits/s and GET /api/requests/{id}/s vs /healthz,
// (f) fan-out through two portal instances behind redis-server (half the viewers on each; not in the default run).
// --protocol json makes the hub clients read JSON instead of MessagePack (the default: what a client of many rollouts picks).
// --provider sqlite,postgres runs the sections once per database engine (PostgreSQL 15 started on loopback) and prints
// the submits/s of (e) side by side.
using System.Globalization;

namespace RolloutBench;

/// <summary>A named entry point: the portal's own top-level Program is used by section (d).</summary>
public static class BenchProgram
{
    public static async Task Main(string[] args)
    {
        var options = BenchOptions.Parse(args);
        Console.WriteLine($"RolloutBench {DateTimeOffset.UtcNow:u} on {Environment.ProcessorCount} cores; sections {string.Join(",", options.Sections)}; hub clients read {options.Protocol}");
        if (options.Sections.SequenceEqual(["d"]))
        {
            await CircuitMemory.RunAsync([50, 200]);
            return;
        }

        var submits = new List<(string Provider, double Rate)>();
        foreach (var provider in options.Providers)
        {
            await using var bench = await Bench.StartAsync(options, provider);
            await RunSectionsAsync(bench, options, submits);
        }

        if (submits.Count > 1)
        {
            Console.WriteLine();
            Console.WriteLine($"(e) submits to production per second: {string.Join(", ", submits.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Provider} {s.Rate:F0}/s")))}");
        }
    }

    private static async Task RunSectionsAsync(Bench bench, BenchOptions options, List<(string Provider, double Rate)> submits)
    {
        foreach (var section in options.Sections)
        {
            Console.WriteLine();
            switch (section)
            {
                case "a":
                    await bench.HubVersusRawWatchAsync(options.Rollouts);
                    break;
                case "b":
                    await bench.OwnScaleAsync(options.ScalePatches);
                    break;
                case "c":
                    foreach (var viewers in options.Viewers)
                    {
                        await bench.FanOutAsync(viewers);
                    }

                    break;
                case "d":
                    await CircuitMemory.RunAsync([50, 200]);
                    break;
                case "e":
                    submits.Add((bench.Provider, await bench.ThroughputAsync(options.Seconds)));
                    break;
                case "f":
                    foreach (var viewers in options.Viewers)
                    {
                        await bench.FanOutTwoInstancesAsync(viewers);
                    }

                    break;
                default:
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"unknown section {section}"));
                    break;
            }
        }
    }
}
