namespace Portal.Tests.Imports;

/// <summary>Compose files the import tests read: a realistic one and hostile ones.</summary>
public static class ComposeSamples
{
    /// <summary>The value of the database password in <see cref="ThreeServices"/>: it must never come back out.</summary>
    public const string DatabasePassword = "s3cr3t-Pa55word-do-not-echo";

    /// <summary>
    /// An API with a healthcheck, a background worker and a postgres-like database with a named volume, in the shapes
    /// teams write: environment as a map and as a list, an env_file, build next to image, depends_on, a bind mount.
    /// </summary>
    public static string ThreeServices(string prefix = "shop") => $$"""
        version: "3.9"
        x-logging: &default-logging
          driver: json-file
        services:
          {{prefix}}-api:
            image: ghcr.io/example/{{prefix}}-api:1.4.2
            build: ./api
            ports:
              - "8080:80"
            environment:
              ASPNETCORE_ENVIRONMENT: Production
              DATABASE_HOST: {{prefix}}-db
              API_TOKEN: tok-123-abc
            env_file:
              - .env
            depends_on:
              - {{prefix}}-db
            healthcheck:
              test: ["CMD", "curl", "-f", "http://localhost:80/healthz"]
              interval: 15s
              timeout: 5s
              retries: 5
              start_period: 20s
            deploy:
              replicas: 2
              resources:
                limits:
                  cpus: "0.5"
                  memory: 512M
                reservations:
                  cpus: "0.25"
                  memory: 256M
            logging: *default-logging
          {{prefix}}-worker:
            image: ghcr.io/example/{{prefix}}-worker:1.4.2
            environment:
              - QUEUE=orders
              - LOG_LEVEL=info
            depends_on:
              - {{prefix}}-db
            deploy:
              replicas: 1
          {{prefix}}-db:
            image: postgres:16
            environment:
              POSTGRES_USER: shop
              POSTGRES_PASSWORD: {{DatabasePassword}}
            volumes:
              - db_data:/var/lib/postgresql/data
              - ./init.sql:/docker-entrypoint-initdb.d/init.sql:ro
            ports:
              - "5432"
            healthcheck:
              test: ["CMD-SHELL", "pg_isready -U shop"]
              interval: 10s
            privileged: true
        volumes:
          db_data:
        """;

    /// <summary>The "billion laughs": nine aliases of nine aliases of ..., a few hundred bytes that expand to 10^9 nodes.</summary>
    public const string AliasBomb = """
        x-a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
        x-b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
        x-c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
        x-d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
        x-e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
        x-f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
        x-g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
        x-h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
        x-i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
        services:
          bomb:
            image: busybox:1
            environment: *i
        """;

    public const string PortsAsAMap = """
        services:
          api:
            image: example/api:1
            ports:
              http: 8080
        """;

    public const string ReplicasAsWords = """
        services:
          api:
            image: example/api:1
            deploy:
              replicas: three
        """;

    public const string UnknownKey = """
        services:
          api:
            image: example/api:1
            imagePullSecrets: registry
        """;

    public const string InvalidName = """
        services:
          9-Lives!:
            image: example/api:1
            ports: ["80"]
        """;

    /// <summary>A valid compose file over <see cref="Portal.Imports.ComposeReader.MaxBytes"/>: a long comment.</summary>
    public static string Oversized(int bytes = 2 * 1024 * 1024) => "services:\n  api:\n    image: example/api:1\n" + "# " + new string('x', bytes) + "\n";
}
