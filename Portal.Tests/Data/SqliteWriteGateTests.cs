using Portal.Data;

namespace Portal.Tests.Data;

public class SqliteWriteGateTests
{
    [Fact]
    public async Task ASecondWriterToTheSameFileWaitsUntilTheFirstIsDone()
    {
        var file = Path.Combine(Path.GetTempPath(), $"write-gate-{Guid.NewGuid():N}.db");
        await using var first = new SqlitePortalDbContext(SqlitePortalDbContext.Options($"Data Source={file}"));
        await using var second = new SqlitePortalDbContext(SqlitePortalDbContext.Options($"Data Source={file}"));
        var turn = await SqliteWriteGate.EnterAsync(first);

        var waiting = SqliteWriteGate.EnterAsync(second);
        var waitedWhileTheFirstWrote = !waiting.IsCompleted;
        turn.Dispose();
        using var next = await waiting.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(waitedWhileTheFirstWrote, "the second writer went in while the first still wrote");
    }

    [Fact]
    public async Task AWriterToAnotherFileDoesNotWait()
    {
        await using var first = new SqlitePortalDbContext(SqlitePortalDbContext.Options($"Data Source={Path.Combine(Path.GetTempPath(), $"write-gate-{Guid.NewGuid():N}.db")}"));
        await using var other = new SqlitePortalDbContext(SqlitePortalDbContext.Options($"Data Source={Path.Combine(Path.GetTempPath(), $"write-gate-{Guid.NewGuid():N}.db")}"));
        using var turn = await SqliteWriteGate.EnterAsync(first);

        var entering = SqliteWriteGate.EnterAsync(other);

        Assert.True(entering.IsCompleted, "a writer to another file waited");
        (await entering).Dispose();
    }
}
