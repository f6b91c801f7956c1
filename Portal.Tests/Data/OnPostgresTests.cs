using Portal.Tests.Infrastructure;
using Portal.Tests.Requests;
using Portal.Tests.Rollouts;

namespace Portal.Tests.Data;

// The request lifecycle, apply worker and API tests, run again unchanged on PostgreSQL (a fresh database each).

public sealed class RequestLifecycleOnPostgresTests : RequestLifecycleTests
{
    protected override PortalDatabase Database => PortalDatabase.Postgres;
}

public sealed class RolloutOnPostgresTests : RolloutTests
{
    protected override PortalDatabase Database => PortalDatabase.Postgres;
}

public sealed class RequestApiOnPostgresTests(PostgresPortalApp app) : RequestApiTests(app), IClassFixture<PostgresPortalApp>;
