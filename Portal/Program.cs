using Portal.Catalog;
using Portal.Cluster;
using Portal.Components;
using Portal.Data;
using Portal.Demo;
using Portal.Identity;
using Portal.Imports;
using Portal.Metrics;
using Portal.Notifications;
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
builder.AddImports();
builder.AddRequests();
builder.AddReleases();
builder.AddRegistry();
builder.AddRollouts();
builder.AddNotifications();
builder.AddDeliveryMetrics();
builder.AddPortalUi();
builder.AddObservability();
builder.AddScaleOut();
builder.AddDemo();

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
app.MapCatalog();
app.MapImports();
app.MapRequests();
app.MapReleases();
app.MapRegistry();
app.MapRollouts();
app.MapNotifications();
app.MapDeliveryMetrics();
app.MapPortalUi();

app.Run();

public partial class Program;
