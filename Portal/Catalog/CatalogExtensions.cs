namespace Portal.Catalog;

public static class CatalogExtensions
{
    public static void AddCatalog(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<ServiceCatalog>();
    }
}
