using Portal.Catalog;
using Portal.Cluster;
using Portal.Components;
using Portal.Data;
using Portal.Identity;
using Portal.Operations;
using Portal.Registry;
using Portal.Requests;
using Portal.Rollouts;

var builder = WebApplication.CreateBuilder(args);

builder.AddData();
builder.AddPortalIdentity();
builder.AddCluster();
builder.AddCatalog();
builder.AddRequests();
builder.AddRegistry();
builder.AddRollouts();
builder.AddPortalUi();

var app = builder.Build();

await app.PrepareDatabaseAsync();

app.MapHealth();
app.MapAccountEndpoints();
app.MapRequests();
app.MapRollouts();
app.MapPortalUi();

app.Run();

public partial class Program;
