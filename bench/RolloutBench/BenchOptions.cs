using System.Globalization;

namespace RolloutBench;

/// <summary>Command-line settings: which sections to run and how big.</summary>
public sealed record BenchOptions(IReadOnlyList<string> Sections, int Rollouts, int ScalePatches, IReadOnlyList<int> Viewers, int Seconds, double Speed, IReadOnlyList<string> Providers, string Protocol = "messagepack")
{
    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions(["a", "b", "c", "e"], 20, 60, [100, 500, 1000], 5, 4, ["Sqlite"]);
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            options = args[i] switch
            {
                "--section" or "--sections" => options with { Sections = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)] },
                "--rollouts" => options with { Rollouts = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--scale-patches" => options with { ScalePatches = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--viewers" => options with { Viewers = [.. Value().Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture))] },
                "--seconds" => options with { Seconds = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--speed" => options with { Speed = double.Parse(Value(), CultureInfo.InvariantCulture) },
                "--protocol" => options with { Protocol = Value().ToLowerInvariant() switch
                {
                    "json" => "json",
                    "messagepack" => "messagepack",
                    _ => throw new ArgumentException("--protocol takes json or messagepack"),
                }
                },
                "--provider" or "--providers" => options with { Providers = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Provider)] },
                _ => throw new ArgumentException($"unknown argument {args[i]}; usage: [--section a,b,c,e] [--rollouts 20] [--scale-patches 60] [--viewers 100,500,1000] [--seconds 5] [--speed 4] [--provider sqlite,postgres] [--protocol messagepack|json]"),
            };
        }

        return options;
    }

    private static string Provider(string value) => value.ToLowerInvariant() switch
    {
        "sqlite" => "Sqlite",
        "postgres" or "postgresql" => "Postgres",
        _ => throw new ArgumentException($"--provider takes sqlite and/or postgres, not {value}"),
    };
}
