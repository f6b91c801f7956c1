using Portal.Catalog;
using Portal.Cluster;
using Portal.Components;
using Portal.Data;
using Portal.Identity;
using Portal.Operations;
using Portal.Registry;
using Portal.Releases;
using Portal.Requests;
using Portal.Rollouts;

var builder = WebApplication.CreateBuilder(args);

builder.AddErrorResponses();
builder.AddData();
builder.AddPortalIdentity();
builder.AddCluster();
builder.AddCatalog();
builder.AddRequests();
builder.AddReleases();
builder.AddRegistry();
builder.AddRollouts();
builder.AddPortalUi();
builder.AddObservability();

var app = builder.Build();

await app.PrepareDatabaseAsync();

app.UsePageErrors();
app.UseApiErrors();
// After the status-code pages, so that a re-executed request (404 -> /not-found) is authorized too.
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();

app.MapHealth();
app.MapObservability();
app.MapAccountEndpoints();
app.MapRequests();
app.MapRegistry();
app.MapReleases();
app.MapRollouts();
app.MapPortalUi();

app.Run();

public partial class Program;
