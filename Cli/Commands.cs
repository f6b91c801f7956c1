using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SelfService.Cli;

/// <summary>The command tree. Each action turns expected failures (<see cref="CliException"/>) into a stderr line and an exit code.</summary>
public static partial class Commands
{
    private static readonly Option<string?> UrlOption = new("--url") { Description = $"The portal's address (default: ${SelfServiceCli.UrlVariable}).", Recursive = true };
    private static readonly Option<string?> TokenOption = new("--token") { Description = $"A personal access token (default: ${SelfServiceCli.TokenVariable}; prefer the variable: options show in process lists).", Recursive = true };
    private static readonly Option<string> OutputOption = CreateOutputOption();

    public static RootCommand Build(CliConsole console)
    {
        var root = new RootCommand("The self-service deployment portal from pipelines.");
        root.Options.Add(UrlOption);
        root.Options.Add(TokenOption);
        root.Options.Add(OutputOption);
        root.Subcommands.Add(Deploy(console));
        root.Subcommands.Add(Status(console));
        root.Subcommands.Add(Decide(console, "approve", "Approve a request waiting for approval (as an Approver of its team, not its requester)."));
        root.Subcommands.Add(Decide(console, "reject", "Reject a request waiting for approval."));
        root.Subcommands.Add(Rollback(console));
        root.Subcommands.Add(Promote(console));
        root.Subcommands.Add(Tags(console));
        root.Subcommands.Add(Requests(console));
        return root;
    }

    private static Command Deploy(CliConsole console)
    {
        var target = TargetArgument();
        var environment = EnvironmentOption(required: true);
        var tag = new Option<string>("--tag") { Description = "The image tag to deploy.", Required = true };
        var replicas = new Option<int?>("--replicas") { Description = "Replicas (turns autoscaling off). Other settings stay as they are." };
        var comment = CommentOption();
        var (wait, timeout) = WaitOptions();
        var command = new Command("deploy", "Submit a deployment request: the given tag (and replicas) on top of the environment's current settings.")
        {
            target, environment, tag, replicas, comment, wait, timeout,
        };
        command.SetAction((parsed, cancellationToken) => RunAsync(console, parsed, async session =>
        {
            var (team, service) = Target(parsed.GetValue(target)!);
            var env = parsed.GetValue(environment)!;
            var body = new Dictionary<string, object?> { ["imageTag"] = parsed.GetValue(tag), ["comment"] = parsed.GetValue(comment) };
            if (parsed.GetValue(replicas) is { } count)
            {
                body["replicas"] = count;
            }

            var waitFor = WaitFor(parsed, wait, timeout);
            var submitted = await session.Client.PostAsync<RequestResource>($"api/services/{Escape(team)}/{Escape(service)}/environments/{Escape(env)}/requests", body, cancellationToken);
            return await session.SubmittedAsync(submitted, "submitted", waitFor, cancellationToken);
        }, cancellationToken));
        return command;
    }

    private static Command Status(CliConsole console)
    {
        var request = RequestArgument();
        var command = new Command("status", "A request's state, image and decisions, and its rollout when it has one.") { request };
        command.SetAction((parsed, cancellationToken) => RunAsync(console, parsed, async session =>
        {
            var id = RequestId(parsed.GetValue(request)!);
            var (resource, json) = await session.Client.GetAsync<RequestResource>($"api/requests/{id}", cancellationToken);
            RolloutSnapshot? rollout = null;
            try
            {
                rollout = (await session.Client.GetAsync<RolloutSnapshot>($"api/requests/{id}/rollout", cancellationToken)).Value;
            }
            catch (CliException e) when (e.ExitCode == ExitCodes.NotFound)
            {
                // Not applied yet: there is no rollout to show.
            }

            if (session.Json)
            {
                session.WriteJson(json);
                return ExitCodes.Ok;
            }

            session.WriteRequest(resource);
            if (rollout is not null)
            {
                console.Out.WriteLine($"  rollout    {rollout.Phase}: {rollout.Message}");
                if (rollout.Blocking is { } blocking)
                {
                    console.Out.WriteLine($"  stuck      {blocking}");
                }
            }

            foreach (var decision in resource.Decisions ?? [])
            {
                console.Out.WriteLine($"  {decision.Kind.ToLowerInvariant(),-10} by {decision.DecidedBy} at {Time(decision.DecidedAt)}{(decision.Comment.Length > 0 ? $": {decision.Comment}" : "")}");
            }

            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    private static Command Decide(CliConsole console, string verb, string description)
    {
        var request = RequestArgument();
        var comment = CommentOption();
        var command = new Command(verb, description) { request, comment };
        command.SetAction((parsed, cancellationToken) => RunAsync(console, parsed, async session =>
        {
            var id = RequestId(parsed.GetValue(request)!);
            var (resource, json) = await session.Client.PostAsync<RequestResource>($"api/requests/{id}/{verb}", new { comment = parsed.GetValue(comment) }, cancellationToken);
            if (session.Json)
            {
                session.WriteJson(json);
            }
            else
            {
                console.Out.WriteLine($"Request #{resource.Id} {(verb == "approve" ? "approved" : "rejected")}: it is {resource.State} now.");
                console.Out.WriteLine($"  page       {session.Client.PageUrl(resource.Page.TrimStart('/'))}");
            }

            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    private static Command Rollback(CliConsole console)
    {
        var target = TargetArgument();
        var environment = EnvironmentOption(required: true);
        var revision = new Option<int?>("--to-revision") { Description = "The revision to go back to (default: the last good revision before what is applied now)." };
        var comment = CommentOption();
        var (wait, timeout) = WaitOptions();
        var command = new Command("rollback", "Roll back to an earlier revision: a new request that copies it whole.") { target, environment, revision, comment, wait, timeout };
        command.SetAction((parsed, cancellationToken) => RunAsync(console, parsed, async session =>
        {
            var (team, service) = Target(parsed.GetValue(target)!);
            var env = parsed.GetValue(environment)!;
            var to = parsed.GetValue(revision) ?? await PreviousRevisionAsync(session.Client, team, service, env, cancellationToken);
            var waitFor = WaitFor(parsed, wait, timeout);
            var created = await session.Client.PostAsync<RequestResource>(
                $"api/services/{Escape(team)}/{Escape(service)}/environments/{Escape(env)}/rollback", new { revision = to, comment = parsed.GetValue(comment) }, cancellationToken);
            return await session.SubmittedAsync(created, $"to roll back to revision {to} submitted", waitFor, cancellationToken);
        }, cancellationToken));
        return command;
    }

    private static Command Promote(CliConsole console)
    {
        var target = TargetArgument();
        var environment = EnvironmentOption(required: true, description: "The environment to promote into (the exact image and spec that succeeded in the one before it).");
        var comment = CommentOption();
        var (wait, timeout) = WaitOptions();
        var command = new Command("promote", "Promote what last succeeded in the previous environment into this one.") { target, environment, comment, wait, timeout };
        command.SetAction((parsed, cancellationToken) => RunAsync(console, parsed, async session =>
        {
            var (team, service) = Target(parsed.GetValue(target)!);
            var env = parsed.GetValue(environment)!;
            var waitFor = WaitFor(parsed, wait, timeout);
            var created = await session.Client.PostAsync<RequestResource>(
                $"api/services/{Escape(team)}/{Escape(service)}/environments/{Escape(env)}/promotions", new { comment = parsed.GetValue(comment) }, cancellationToken);
            return await session.SubmittedAsync(created, "to promote submitted", waitFor, cancellationToken);
        }, cancellationToken));
        return command;
    }

    private static Command Tags(CliConsole console)
    {
        var target = TargetArgument();
        var command = new Command("tags", "The tags of a service's image repository, newest first, from the portal's registry.") { target };
        command.SetAction((parsed, cancellationToken) => RunAsync(console, parsed, async session =>
        {
            var (team, service) = Target(parsed.GetValue(target)!);
            var (tags, json) = await session.Client.GetAsync<TagsResource>($"api/services/{Escape(team)}/{Escape(service)}/tags", cancellationToken);
            if (session.Json)
            {
                session.WriteJson(json);
                return ExitCodes.Ok;
            }

            Table.Write(console.Out, ["TAG", "DIGEST", "CREATED"], tags.Tags.Select(t => new[] { t.Name, t.Digest, t.Created is { } created ? Time(created) : null }));
            if (tags.Truncated)
            {
                console.Error.WriteLine($"(the registry has more tags than the portal lists for {tags.Repository})");
            }

            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    private static Command Requests(CliConsole console)
    {
        var target = new Argument<string?>("team/service") { Description = "A service; without it, the requests of all your teams.", Arity = ArgumentArity.ZeroOrOne };
        var environment = EnvironmentOption(required: false);
        var team = new Option<string?>("--team") { Description = "Only this team's requests (without team/service)." };
        var state = new Option<string?>("--state") { Description = "Only requests in this state, e.g. AwaitingApproval (without team/service)." };
        var page = new Option<int>("--page") { Description = "The page, from 1 (newest first).", DefaultValueFactory = _ => 1 };
        var pageSize = new Option<int>("--page-size") { Description = "Requests per page (at most 100).", DefaultValueFactory = _ => 20 };
        var command = new Command("requests", "Deployment requests, newest first, a page at a time.") { target, environment, team, state, page, pageSize };
        command.SetAction((parsed, cancellationToken) => RunAsync(console, parsed, async session =>
        {
            var paging = $"page={parsed.GetValue(page)}&pageSize={parsed.GetValue(pageSize)}";
            string path;
            if (parsed.GetValue(target) is { } named)
            {
                var (teamName, service) = Target(named);
                path = $"api/services/{Escape(teamName)}/{Escape(service)}/requests?{paging}{Query("environment", parsed.GetValue(environment))}";
            }
            else
            {
                path = $"api/requests?{paging}{Query("team", parsed.GetValue(team))}{Query("state", parsed.GetValue(state))}";
            }

            var (list, json) = await session.Client.GetAsync<ListPage<RequestListItem>>(path, cancellationToken);
            if (session.Json)
            {
                session.WriteJson(json);
                return ExitCodes.Ok;
            }

            Table.Write(console.Out, ["ID", "SERVICE", "ENVIRONMENT", "STATE", "TAG", "REVISION", "REQUESTED BY", "CREATED"], list.Items.Select(r => new[]
            {
                r.Id.ToString(CultureInfo.InvariantCulture), $"{r.Team}/{r.Service}", r.Environment, r.State, r.ImageTag, r.Revision?.ToString(CultureInfo.InvariantCulture), r.RequestedBy, Time(r.CreatedAt),
            }));
            var pages = Math.Max(1, (list.Total + list.PageSize - 1) / list.PageSize);
            console.Error.WriteLine($"page {list.Page} of {pages} ({list.Total} requests)");
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    /// <summary>The last good revision that is not what is applied now: the current one after a failed rollout, else the one before it.</summary>
    private static async Task<int> PreviousRevisionAsync(PortalClient client, string team, string service, string environment, CancellationToken cancellationToken)
    {
        var revisions = new List<int>();
        RequestListItem? lastApplied = null;
        for (var page = 1; page <= 20; page++)
        {
            var (list, _) = await client.GetAsync<ListPage<RequestListItem>>(
                $"api/services/{Escape(team)}/{Escape(service)}/requests?environment={Escape(environment)}&page={page}&pageSize=100", cancellationToken);
            lastApplied ??= list.Items.FirstOrDefault(r => r.State is "Applying" or "RollingOut" or "Succeeded" or "Failed" or "RolledBack");
            revisions.AddRange(list.Items.Where(r => r.Revision is not null).Select(r => r.Revision!.Value));
            if (page * list.PageSize >= list.Total)
            {
                break;
            }
        }

        var current = revisions.Count == 0 ? (int?)null : revisions.Max();
        var target = lastApplied?.Revision == current ? revisions.Where(r => r < current).DefaultIfEmpty().Max() : current;
        return target is > 0
            ? target.Value
            : throw new CliException(ExitCodes.Conflict, $"{team}/{service} has no earlier good revision in {environment} to roll back to.");
    }

    private static async Task<int> RunAsync(CliConsole console, ParseResult parsed, Func<Session, Task<int>> action, CancellationToken cancellationToken)
    {
        string? token = null;
        try
        {
            using var session = Session.Open(console, parsed, out token);
            return await action(session);
        }
        catch (CliException e)
        {
            await console.Error.WriteLineAsync(Redact(e.Message, token));
            return e.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await console.Error.WriteLineAsync("Interrupted.");
            return ExitCodes.Timeout;
        }
        catch (Exception e)
        {
            await console.Error.WriteLineAsync(Redact($"Unexpected error: {e.GetType().Name}: {e.Message}", token));
            return ExitCodes.ServerError;
        }
    }

    private static string Redact(string text, string? token) =>
        string.IsNullOrEmpty(token) ? text : text.Replace(token, "***", StringComparison.Ordinal);

    private static Argument<string> TargetArgument() => new("team/service") { Description = "The service, as team/service (e.g. payments/payments-api)." };

    private static Argument<string> RequestArgument() => new("request") { Description = "The request's number (12 or #12)." };

    private static Option<string> EnvironmentOption(bool required, string description = "The environment, e.g. staging or production.") =>
        new("--env", "--environment", "-e") { Description = description, Required = required };

    private static Option<string?> CommentOption() => new("--comment", "-m") { Description = "Why: shown on the request and in the audit." };

    private static (Option<bool> Wait, Option<string> Timeout) WaitOptions() =>
        (new Option<bool>("--wait") { Description = "Follow the rollout until it ends (exit 0 succeeded, 1 failed or not applied, 2 timeout)." },
         new Option<string>("--timeout") { Description = "How long --wait waits, e.g. 90s, 10m, 1h.", DefaultValueFactory = _ => "10m" });

    private static TimeSpan? WaitFor(ParseResult parsed, Option<bool> wait, Option<string> timeout)
    {
        if (!parsed.GetValue(wait))
        {
            return null;
        }

        var text = parsed.GetValue(timeout)!;
        return Duration.Parse(text) ?? throw new CliException(ExitCodes.Usage, $"--timeout '{text}' is not a duration: use e.g. 90s, 10m or 1h.");
    }

    private static Option<string> CreateOutputOption()
    {
        var option = new Option<string>("--output", "-o") { Description = "table (default) or json (the portal's JSON, for scripts).", DefaultValueFactory = _ => "table", Recursive = true };
        option.AcceptOnlyFromAmong("table", "json");
        return option;
    }

    private static (string Team, string Service) Target(string text)
    {
        var match = TargetGrammar().Match(text);
        return match.Success
            ? (match.Groups["team"].Value, match.Groups["service"].Value)
            : throw new CliException(ExitCodes.Usage, $"'{text}' is not team/service, e.g. payments/payments-api.");
    }

    private static int RequestId(string text) =>
        int.TryParse(text.TrimStart('#'), NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0
            ? id
            : throw new CliException(ExitCodes.Usage, $"'{text}' is not a request number, e.g. 12.");

    private static string Escape(string value) => Uri.EscapeDataString(value);

    private static string Query(string name, string? value) => string.IsNullOrEmpty(value) ? "" : $"&{name}={Escape(value)}";

    internal static string Time(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"\A(?<team>[a-z0-9]([-a-z0-9]*[a-z0-9])?)/(?<service>[a-z0-9]([-a-z0-9]*[a-z0-9])?)\z")]
    private static partial Regex TargetGrammar();

    /// <summary>One command's connection to the portal and its output mode.</summary>
    private sealed class Session(CliConsole console, PortalClient client, bool json) : IDisposable
    {
        public PortalClient Client => client;

        public bool Json => json;

        public static Session Open(CliConsole console, ParseResult parsed, out string? token)
        {
            token = parsed.GetValue(TokenOption) ?? console.Environment(SelfServiceCli.TokenVariable);
            var url = parsed.GetValue(UrlOption) ?? console.Environment(SelfServiceCli.UrlVariable);
            if (string.IsNullOrWhiteSpace(url))
            {
                throw new CliException(ExitCodes.Usage, $"No portal address: set {SelfServiceCli.UrlVariable} (e.g. https://portal.example.com) or pass --url.");
            }

            if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
            {
                throw new CliException(ExitCodes.Usage, $"{SelfServiceCli.UrlVariable} '{url}' is not an http(s) address.");
            }

            if (string.IsNullOrWhiteSpace(token))
            {
                throw new CliException(ExitCodes.Unauthorized, $"No token: set {SelfServiceCli.TokenVariable} to a personal access token (create one under Access tokens in the portal).");
            }

            token = token.Trim();
            var baseAddress = address.AbsoluteUri.EndsWith('/') ? address : new Uri(address.AbsoluteUri + "/");
            return new Session(console, new PortalClient(baseAddress, token, TimeSpan.FromSeconds(100)), parsed.GetValue(OutputOption) == "json");
        }

        public void WriteJson(string text) =>
            console.Out.WriteLine(JsonSerializer.Serialize(JsonDocument.Parse(text).RootElement, PortalClient.Json));

        public void WriteRequest(RequestResource request)
        {
            console.Out.WriteLine($"Request #{request.Id}: {request.Team}/{request.Service} in {request.Environment} is {request.State}{(request.Revision is { } revision ? $" (revision {revision})" : "")}");
            console.Out.WriteLine($"  image      {request.Image}");
            console.Out.WriteLine($"  requested  by {request.RequestedBy} at {Time(request.CreatedAt)}{(request.Comment.Length > 0 ? $": {request.Comment}" : "")}");
            console.Out.WriteLine($"  page       {client.PageUrl(request.Page.TrimStart('/'))}");
        }

        /// <summary>Prints a new request and, with a wait, follows it to its end.</summary>
        public async Task<int> SubmittedAsync((RequestResource Value, string Json) submitted, string what, TimeSpan? wait, CancellationToken cancellationToken)
        {
            var request = submitted.Value;
            // With JSON on stdout, the human lines go to stderr so that scripts can parse stdout.
            var progress = json ? console.Error : console.Out;
            if (json && wait is null)
            {
                WriteJson(submitted.Json);
            }
            else if (!json)
            {
                console.Out.WriteLine($"Request #{request.Id} {what}: {request.Team}/{request.Service} in {request.Environment} is {request.State}");
                console.Out.WriteLine($"  image      {request.Image}");
                console.Out.WriteLine($"  page       {client.PageUrl(request.Page.TrimStart('/'))}");
            }

            if (request.State == RequestStates.AwaitingApproval)
            {
                await progress.WriteLineAsync($"Request #{request.Id} waits for an Approver of {request.Team}{(wait is { } w ? $"; waiting up to {Duration.Format(w)}." : ".")}");
            }

            if (wait is not { } timeout)
            {
                return ExitCodes.Ok;
            }

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            var follower = new RolloutFollower(client, progress);
            RolloutSnapshot final;
            try
            {
                final = await follower.FollowAsync(request.Id, deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                await console.Error.WriteLineAsync(
                    $"Timed out after {Duration.Format(timeout)} waiting for request #{request.Id}{(follower.Last is { } last ? $" (last: {last.Message})" : "")}. It goes on in the portal: {client.PageUrl(request.Page.TrimStart('/'))}");
                return ExitCodes.Timeout;
            }

            var (ended, endedJson) = await EndedAsync(request.Id, cancellationToken);
            if (json)
            {
                WriteJson(endedJson);
            }

            if (final.Phase == "Succeeded")
            {
                await progress.WriteLineAsync($"Request #{request.Id} succeeded{(ended.Revision is { } revision ? $": revision {revision}" : "")}.");
                return ExitCodes.Ok;
            }

            var state = RequestStates.IsUnsuccessfulEnd(ended.State) ? ended.State : "Failed";
            await console.Error.WriteLineAsync($"Request #{request.Id} {state}: {final.Message}{(final.Blocking is { } why ? $" ({why})" : "")}");
            return ExitCodes.Unsuccessful;
        }

        /// <summary>
        /// The request once its state caught up with the rollout's end: the portal stores the final state (and the
        /// revision) just after it publishes the final snapshot, so ask a few times, briefly.
        /// </summary>
        private async Task<(RequestResource Value, string Json)> EndedAsync(int id, CancellationToken cancellationToken)
        {
            for (var attempt = 0; ; attempt++)
            {
                var answer = await client.GetAsync<RequestResource>($"api/requests/{id}", cancellationToken);
                if (answer.Value.State is not ("Approved" or "Applying" or "RollingOut") || attempt >= 20)
                {
                    return answer;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
            }
        }

        public void Dispose() => client.Dispose();
    }
}
