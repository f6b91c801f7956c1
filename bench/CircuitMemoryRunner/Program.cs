namespace RolloutBench;

// Run: dotnet run -c Release --project bench/CircuitMemoryRunner [-- 50 200]
public static class CircuitMemoryRunner
{
    public static async Task Main(string[] args) =>
        await CircuitMemory.RunAsync(
            args.Any(a => a != "--empty") ? [.. args.Where(a => a != "--empty").Select(int.Parse)] : [50, 200],
            emptyPage: args.Contains("--empty"));
}
