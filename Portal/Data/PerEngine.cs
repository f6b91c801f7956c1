using System.Collections.Concurrent;

namespace Portal.Data;

/// <summary>
/// A compiled query, compiled once per database engine. A query on a hot path is compiled (<c>EF.CompileAsyncQuery</c>)
/// to skip what every LINQ query pays at each call (parameter extraction from the expression tree and the query cache
/// lookup), but EF Core binds a compiled query to the model of the first context it runs on, and the SQLite and
/// PostgreSQL contexts (each with its own model) can share a process. So one compiled delegate per context type.
/// </summary>
internal sealed class PerEngine<TQuery>(Func<TQuery> compile)
    where TQuery : class
{
    private readonly ConcurrentDictionary<Type, TQuery> compiled = new();

    public TQuery For(PortalDbContext db) => compiled.GetOrAdd(db.GetType(), _ => compile());
}
