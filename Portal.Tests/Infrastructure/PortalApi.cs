using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Portal.Identity;

namespace Portal.Tests.Infrastructure;

/// <summary>An API client for one user, authenticated with a personal access token created through the real service.</summary>
public static class PortalApi
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<HttpClient> ClientAsync(this PortalApp app, string userName)
    {
        var created = await app.Get<PersonalAccessTokens>().CreateAsync(await app.PrincipalAsync(userName), $"tests-{userName}", 30);
        var client = new HttpClient { BaseAddress = app.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.Value!.Secret);
        return client;
    }

    public static Task<HttpResponseMessage> SubmitAsync(this HttpClient client, string team, string service, string environment, object change) =>
        client.PostAsJsonAsync($"/api/services/{team}/{service}/environments/{environment}/requests", change, Json);

    public static Task<HttpResponseMessage> DecideAsync(this HttpClient client, int id, string verb, string? comment = null) =>
        client.PostAsJsonAsync($"/api/requests/{id}/{verb}", new { comment }, Json);

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    public static async Task<int> SubmittedIdAsync(this HttpResponseMessage response)
    {
        if (response.StatusCode != System.Net.HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"Submit answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        return (await response.JsonAsync()).GetProperty("id").GetInt32();
    }
}
