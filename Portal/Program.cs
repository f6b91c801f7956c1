using Portal.Catalog;
using Portal.Cluster;
using Portal.Components;
using Portal.Data;
using Portal.Identity;
using Portal.Operations;
using Portal.Registry;

var builder = WebApplication.CreateBuilder(args);

builder.AddData();
builder.AddPortalIdentity();
builder.AddCluster();
builder.AddCatalog();
builder.AddRegistry();
builder.AddPortalUi();

var app = builder.Build();

await app.PrepareDatabaseAsync();

app.MapHealth();
app.MapAccountEndpoints();
app.MapPortalUi();

app.Run();

public partial class Program;
