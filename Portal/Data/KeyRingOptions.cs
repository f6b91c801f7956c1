namespace Portal.Data;

public enum KeyStore
{
    /// <summary>XML files in <c>{Portal:DataDirectory}/keys</c>: one instance.</summary>
    Folder,

    /// <summary>The <c>DataProtectionKeys</c> table: every instance on the database shares the keys.</summary>
    Database,
}

/// <summary>
/// Settings under <c>DataProtection</c>: where the keys that protect cookies, antiforgery tokens and secret values live,
/// and the certificate that encrypts them at rest. Read once at start-up.
/// </summary>
public sealed class KeyRingOptions
{
    public const string Section = "DataProtection";

    /// <summary><c>Folder</c> or <c>Database</c>; unset means <c>Database</c> on PostgreSQL and <c>Folder</c> on SQLite.</summary>
    public KeyStore? Store { get; set; }

    /// <summary>A PFX/PKCS#12 file, or a PEM certificate (with its key in the same file or in <see cref="CertificateKeyFile"/>).</summary>
    public string? CertificateFile { get; set; }

    /// <summary>The PEM private key of <see cref="CertificateFile"/> when it is a separate file.</summary>
    public string? CertificateKeyFile { get; set; }

    /// <summary>The PFX password, or the password of an encrypted PEM key.</summary>
    public string? CertificatePassword { get; set; }
}
