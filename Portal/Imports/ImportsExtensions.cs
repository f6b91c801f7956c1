namespace Portal.Imports;

public static class ImportsExtensions
{
    public static void AddImports(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<ComposeImport>();
    }

    public static void MapImports(this WebApplication app)
    {
        app.MapImportsApi();
    }
}
