using Microsoft.AspNetCore.DataProtection;

namespace Portal.Requests;

/// <summary>
/// Encrypts secret values at rest with Data Protection under a purpose of their own. Plaintext only leaves here for the
/// apply worker building the Kubernetes Secret; nothing shows it to a user.
/// </summary>
public sealed class SecretVault(IDataProtectionProvider provider)
{
    private readonly IDataProtector protector = provider.CreateProtector("Portal.Requests.SecretValues.v1");

    public string Encrypt(string plaintext) => protector.Protect(plaintext);

    public string Decrypt(string ciphertext) => protector.Unprotect(ciphertext);
}
