using System.Security.Claims;
using Portal.Identity;

namespace Portal.Tests.Identity;

/// <summary>What the cache tells other instances, and what it does with what they tell it.</summary>
public sealed class AccessTokenCacheTests
{
    [Fact]
    public void AForgetAskedForHereIsToldAndOneHeardFromAnotherInstanceIsNot()
    {
        var cache = new AccessTokenCache(TimeProvider.System);
        var told = new List<AccessTokenForget>();
        var usersForgotten = new List<string>();
        cache.ForgottenHere += told.Add;
        cache.UserForgotten += usersForgotten.Add;
        Remember(cache, "hash-1", "user-1");
        Remember(cache, "hash-2", "user-2");

        cache.ForgetToken("hash-1");
        cache.ForgetUser("user-2");
        Assert.Equal([AccessTokenForget.Token("hash-1"), AccessTokenForget.User("user-2")], told);
        Assert.Null(cache.Find("hash-1"));
        Assert.Null(cache.Find("hash-2"));

        // Heard from another instance: forgotten here (the membership cache too), and not told back (no echo between instances).
        Remember(cache, "hash-3", "user-3");
        Remember(cache, "hash-4", "user-4");
        cache.Forget(AccessTokenForget.Token("hash-3"));
        cache.Forget(AccessTokenForget.User("user-4"));
        Assert.Null(cache.Find("hash-3"));
        Assert.Null(cache.Find("hash-4"));
        Assert.Equal(2, told.Count);
        Assert.Equal(["user-2", "user-4"], usersForgotten);
    }

    private static void Remember(AccessTokenCache cache, string hash, string userId)
    {
        cache.Remember(hash, userId, new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, userId)], "test")), DateTimeOffset.UtcNow.AddDays(1), cache.Generation);
        Assert.NotNull(cache.Find(hash));
    }
}
