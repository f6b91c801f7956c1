using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Portal.Data;

namespace Portal.Operations;

public static class ObservabilityExtensions
{
    /// <summary>
    /// OpenTelemetry metrics and traces (ASP.NET Core, HttpClient, EF Core and the portal's own meter), scraped on
    /// <c>/metrics</c>, and sent over OTLP when <c>OpenTelemetry:OtlpEndpoint</c> or <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
    /// </summary>
    public static void AddObservability(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<PortalGauges>();
        builder.Services.AddSingleton<RequestTransitionMetrics>();
        builder.Services.ConfigureDbContext<PortalDbContext>((services, options) => options.AddInterceptors(services.GetRequiredService<RequestTransitionMetrics>()), ServiceLifetime.Singleton);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Scoped<CircuitHandler, CircuitMetrics>());
        builder.Services.Configure<HubOptions>(options => options.AddFilter<HubConnectionMetrics>());
        builder.Services.AddSingleton<HubConnectionMetrics>();

        builder.Services.ConfigureOpenTelemetryMeterProvider((services, metrics) => metrics.AddView(OnlyThisHost(services.GetRequiredService<IMeterFactory>())));
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("selfservice-portal"))
            .WithMetrics(metrics => metrics
                .AddMeter(PortalMetrics.MeterName)
                // The runtime's own: GC collections and pause time, heap size, thread-pool queue, lock contention.
                .AddMeter("System.Runtime")
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddPrometheusExporter());

        var endpoint = builder.Configuration["OpenTelemetry:OtlpEndpoint"];
        var standardEndpoint = builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        if (string.IsNullOrEmpty(endpoint) && string.IsNullOrEmpty(standardEndpoint))
        {
            // Nowhere to send traces: none are made (each request, HTTP call and EF command would pay for a trace
            // nobody reads: about a twentieth of a submit's CPU).
            return;
        }

        telemetry.WithTracing(tracing => tracing
            .AddAspNetCoreInstrumentation(options => options.Filter = context => context.Request.Path != "/metrics")
            .AddHttpClientInstrumentation()
            .AddEntityFrameworkCoreInstrumentation());

        // Logs go to the collector too, with their scopes (the request id).
        telemetry.WithLogging(configureBuilder: null, configureOptions: options => options.IncludeScopes = true);
        if (!string.IsNullOrEmpty(endpoint))
        {
            telemetry.UseOtlpExporter(OpenTelemetry.Exporter.OtlpExportProtocol.Grpc, new Uri(endpoint));
        }
        else
        {
            telemetry.UseOtlpExporter();
        }
    }

    // Meters made by another host's factory in the same process (tests run several portals) are not this instance's.
    private static Func<Instrument, MetricStreamConfiguration?> OnlyThisHost(IMeterFactory own) =>
        instrument => instrument.Meter.Scope is IMeterFactory factory && factory != own ? MetricStreamConfiguration.Drop : null;

    /// <summary><c>/metrics</c> in the Prometheus text format, outside sign-in like the health endpoints.</summary>
    public static void MapObservability(this WebApplication app)
    {
        app.Services.GetRequiredService<PortalGauges>();
        app.MapPrometheusScrapingEndpoint().AllowAnonymous();
    }
}
