using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Portal.Requests;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Requests;

/// <summary>A secret value goes in once and is never seen again: not in the database file, pages, API, audit or logs.</summary>
public sealed class SecretValueTests(PortalApp app) : IClassFixture<PortalApp>
{
    private const string Value = "hunter2-Zq8vX3-secret-value";

    [Fact]
    public async Task SecretValuesNeverLeaveTheVaultInPlainText()
    {
        var alice = await app.ClientAsync("alice");
        var bob = await app.ClientAsync("bob");
        var browser = await app.SignedInClientAsync("alice");

        var submitted = await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "v9", setSecrets = new Dictionary<string, string> { ["DB_PASSWORD"] = Value } });
        var submitBody = await submitted.Content.ReadAsStringAsync();
        var id = await submitted.SubmittedIdAsync();
        var approved = await (await bob.DecideAsync(id, "approve")).Content.ReadAsStringAsync();
        var read = await (await alice.GetAsync($"/api/requests/{id}")).Content.ReadAsStringAsync();
        var requestPage = await (await browser.GetAsync($"/requests/{id}")).Content.ReadAsStringAsync();
        var servicePage = await browser.GetStringAsync("/services/payments/payments-api");
        var audit = await app.WithDbAsync(db => db.AuditEvents.Select(e => e.Comment + " " + e.Actor).ToListAsync());
        var decisions = await app.WithDbAsync(db => db.RequestDecisions.Select(d => d.Comment).ToListAsync());
        var specs = await app.WithDbAsync(db => db.DeploymentRequests.Select(r => r.Spec).ToListAsync());
        SqliteConnection.ClearAllPools();
        var databaseBytes = ReadDatabaseFiles(app.DataDirectory);

        Assert.Contains("DB_PASSWORD", submitBody);
        foreach (var (place, text) in new[] { ("submit response", submitBody), ("approve response", approved), ("API read", read), ("request page", requestPage), ("service page", servicePage), ("logs", app.Logs.All) })
        {
            Assert.False(text.Contains(Value, StringComparison.Ordinal), $"the secret value appeared in the {place}");
        }

        Assert.DoesNotContain(audit, a => a.Contains(Value, StringComparison.Ordinal));
        Assert.DoesNotContain(decisions, d => d.Contains(Value, StringComparison.Ordinal));
        Assert.DoesNotContain(specs, s => s.ToJson().Contains(Value, StringComparison.Ordinal));
        Assert.Equal(-1, IndexOf(databaseBytes, Encoding.UTF8.GetBytes(Value)));
        Assert.Equal(-1, IndexOf(databaseBytes, Encoding.Unicode.GetBytes(Value)));
    }

    [Fact]
    public async Task StoredCiphertextDecryptsWithTheKeysInTheDataFolder()
    {
        var alice = await app.ClientAsync("alice");
        await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v10", setSecrets = new Dictionary<string, string> { ["API_KEY"] = "k-123456789" } });

        var stored = await app.WithDbAsync(db => db.SecretValues.OrderByDescending(v => v.Id).FirstAsync(v => v.Key == "API_KEY"));

        Assert.DoesNotContain("k-123456789", stored.Ciphertext);
        Assert.Equal("k-123456789", app.Get<SecretVault>().Decrypt(stored.Ciphertext));
        Assert.Equal(("alice", 11), (stored.SetBy, stored.Size));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(app.DataDirectory, "keys")));
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (var i = 0; i <= haystack.Length - needle.Length; i++)
        {
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The SQLite file and its WAL; the WAL may be checkpointed away while it is listed, so read again then.</summary>
    private static byte[] ReadDatabaseFiles(string directory)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return Directory.GetFiles(directory, "portal.db*").SelectMany(File.ReadAllBytes).ToArray();
            }
            catch (FileNotFoundException) when (attempt < 20)
            {
            }
        }
    }
}
