using k8s;

namespace Sandbox.Tests;

/// <summary>
/// An install-style multi-document manifest (every kind a Kustomize base of the portal holds) through the real kubectl:
/// server dry-run, client-side and server-side apply, and <c>kubectl get</c> tables.
/// </summary>
public sealed class KubectlManifestTests
{
    private const string Install = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: portal
        ---
        apiVersion: v1
        kind: ServiceAccount
        metadata:
          name: portal
          namespace: portal
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata:
          name: portal-leases
          namespace: portal
        rules:
        - apiGroups: ["coordination.k8s.io"]
          resources: ["leases"]
          verbs: ["get", "create", "update"]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata:
          name: portal-leases
          namespace: portal
        roleRef:
          apiGroup: rbac.authorization.k8s.io
          kind: Role
          name: portal-leases
        subjects:
        - kind: ServiceAccount
          name: portal
          namespace: portal
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata:
          name: portal-deployer
        rules:
        - apiGroups: ["apps"]
          resources: ["deployments"]
          verbs: ["get", "list", "watch", "patch"]
        - apiGroups: [""]
          resources: ["services", "secrets", "configmaps"]
          verbs: ["get", "list", "watch", "patch"]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata:
          name: portal-deployer
        roleRef:
          apiGroup: rbac.authorization.k8s.io
          kind: ClusterRole
          name: portal-deployer
        subjects:
        - kind: ServiceAccount
          name: portal
          namespace: portal
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: portal-settings
          namespace: portal
        data:
          Leadership__Enabled: "true"
        ---
        apiVersion: v1
        kind: Secret
        metadata:
          name: portal-connections
          namespace: portal
        stringData:
          ConnectionStrings__Portal: Host=postgres;Database=portal
        ---
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata:
          name: portal-data
          namespace: portal
        spec:
          accessModes: ["ReadWriteOnce"]
          resources:
            requests:
              storage: 1Gi
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: portal
          namespace: portal
          labels:
            app.kubernetes.io/name: portal
        spec:
          replicas: 2
          selector:
            matchLabels:
              app.kubernetes.io/name: portal
          template:
            metadata:
              labels:
                app.kubernetes.io/name: portal
            spec:
              serviceAccountName: portal
              securityContext:
                runAsNonRoot: true
              containers:
              - name: portal
                image: ghcr.io/example/portal:1.0
                envFrom:
                - configMapRef:
                    name: portal-settings
                ports:
                - containerPort: 8080
                readinessProbe:
                  httpGet:
                    path: /readyz
                    port: 8080
                livenessProbe:
                  httpGet:
                    path: /healthz
                    port: 8080
                resources:
                  requests:
                    cpu: 100m
                    memory: 256Mi
                  limits:
                    memory: 512Mi
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: portal
          namespace: portal
        spec:
          selector:
            app.kubernetes.io/name: portal
          sessionAffinity: ClientIP
          ports:
          - port: 80
            targetPort: 8080
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: portal
          namespace: portal
          annotations:
            nginx.ingress.kubernetes.io/affinity: cookie
        spec:
          ingressClassName: nginx
          rules:
          - host: portal.example.com
            http:
              paths:
              - path: /
                pathType: Prefix
                backend:
                  service:
                    name: portal
                    port:
                      number: 80
        ---
        apiVersion: policy/v1
        kind: PodDisruptionBudget
        metadata:
          name: portal
          namespace: portal
        spec:
          minAvailable: 1
          selector:
            matchLabels:
              app.kubernetes.io/name: portal
        ---
        apiVersion: v1
        kind: ResourceQuota
        metadata:
          name: portal
          namespace: portal
        spec:
          hard:
            requests.cpu: "4"
            requests.memory: 8Gi
        """;

    private static readonly string[] Created =
    [
        "namespace/portal", "serviceaccount/portal", "role.rbac.authorization.k8s.io/portal-leases", "rolebinding.rbac.authorization.k8s.io/portal-leases",
        "clusterrole.rbac.authorization.k8s.io/portal-deployer", "clusterrolebinding.rbac.authorization.k8s.io/portal-deployer",
        "configmap/portal-settings", "secret/portal-connections", "persistentvolumeclaim/portal-data", "deployment.apps/portal", "service/portal",
        "ingress.networking.k8s.io/portal", "poddisruptionbudget.policy/portal", "resourcequota/portal",
    ];

    [Fact]
    public async Task ServerDryRunOfTheWholeManifestSucceedsAndStoresNothing()
    {
        await using var cluster = await TestCluster.StartAsync();
        var manifest = cluster.Manifest("install.yaml", Install);
        // As on a real API server, objects can be dry-run only into a namespace that exists.
        (await cluster.KubectlAsync("create", "namespace", "portal")).Succeeded();
        var before = cluster.Host.Store.ResourceVersion;

        var output = (await cluster.KubectlAsync("apply", "--dry-run=server", "-f", manifest)).Succeeded().Output;
        var serverSide = (await cluster.KubectlAsync("apply", "--server-side", "--dry-run=server", "-f", manifest)).Succeeded().Output;

        foreach (var name in Created.Skip(1))
        {
            Assert.Contains($"{name} created (server dry run)", output);
            Assert.Contains($"{name} serverside-applied (server dry run)", serverSide);
        }

        Assert.Equal(before, cluster.Host.Store.ResourceVersion);
        Assert.Empty((await cluster.Client.AppsV1.ListNamespacedDeploymentAsync("portal")).Items);
    }

    [Fact]
    public async Task ServerDryRunIntoANamespaceThatDoesNotExistFailsAsOnARealServer()
    {
        await using var cluster = await TestCluster.StartAsync();
        var manifest = cluster.Manifest("install.yaml", Install);

        var result = await cluster.KubectlAsync("apply", "--dry-run=server", "-f", manifest);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("namespaces \"portal\" not found", result.Error);
    }

    [Fact]
    public async Task ClientSideApplyCreatesEveryKindThenConfiguresThem()
    {
        await using var cluster = await TestCluster.StartAsync();
        var manifest = cluster.Manifest("install.yaml", Install);

        var output = (await cluster.KubectlAsync("apply", "-f", manifest)).Succeeded().Output;
        foreach (var name in Created)
        {
            Assert.Contains($"{name} created", output);
        }

        cluster.Manifest("install.yaml", Install.Replace("minAvailable: 1", "minAvailable: 2").Replace("portal.example.com", "deploy.example.com")
            .Replace("verbs: [\"get\", \"create\", \"update\"]", "verbs: [\"get\", \"create\", \"update\", \"patch\"]"));
        var again = (await cluster.KubectlAsync("apply", "-f", manifest)).Succeeded().Output;
        Assert.Contains("poddisruptionbudget.policy/portal configured", again);
        Assert.Contains("ingress.networking.k8s.io/portal configured", again);
        Assert.Contains("role.rbac.authorization.k8s.io/portal-leases configured", again);
        Assert.Contains("serviceaccount/portal unchanged", again);

        var pdb = await cluster.Client.PolicyV1.ReadNamespacedPodDisruptionBudgetAsync("portal", "portal");
        Assert.Equal("2", pdb.Spec.MinAvailable.Value);
        var ingress = await cluster.Client.NetworkingV1.ReadNamespacedIngressAsync("portal", "portal");
        Assert.Equal("deploy.example.com", Assert.Single(ingress.Spec.Rules).Host);
        var role = await cluster.Client.RbacAuthorizationV1.ReadNamespacedRoleAsync("portal-leases", "portal");
        Assert.Contains("patch", role.Rules[0].Verbs);
        var claim = await cluster.Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("portal-data", "portal");
        // API tests run without controllers: nothing provisions, so the claim waits as on a cluster without a provisioner.
        Assert.Equal(("standard", "Pending"), (claim.Spec.StorageClassName, claim.Status.Phase));
    }

    [Fact]
    public async Task ServerSideApplyTwiceOwnsEveryKindAndGetShowsTables()
    {
        await using var cluster = await TestCluster.StartAsync();
        var manifest = cluster.Manifest("install.yaml", Install);

        var output = (await cluster.KubectlAsync("apply", "--server-side", "-f", manifest)).Succeeded().Output;
        foreach (var name in Created)
        {
            Assert.Contains($"{name} serverside-applied", output);
        }

        (await cluster.KubectlAsync("apply", "--server-side", "-f", manifest)).Succeeded();
        var bindings = await cluster.Client.RbacAuthorizationV1.ReadClusterRoleBindingAsync("portal-deployer");
        Assert.Equal(("kubectl", "Apply"), (Assert.Single(bindings.Metadata.ManagedFields).Manager, bindings.Metadata.ManagedFields[0].Operation));

        var pvc = (await cluster.KubectlAsync("-n", "portal", "get", "pvc")).Succeeded().Output.Split('\n');
        Assert.Equal(["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS", "MODES", "STORAGECLASS"], pvc[0].Split(' ', StringSplitOptions.RemoveEmptyEntries)[..7]);
        Assert.Contains("Pending", pvc[1]);
        var ingress = (await cluster.KubectlAsync("-n", "portal", "get", "ingress")).Succeeded().Output;
        Assert.Contains("portal.example.com", ingress);
        var pdb = (await cluster.KubectlAsync("-n", "portal", "get", "pdb")).Succeeded().Output;
        Assert.Contains("MIN AVAILABLE", pdb);
        var storageClasses = (await cluster.KubectlAsync("get", "storageclass")).Succeeded().Output;
        Assert.Contains("standard (default)", storageClasses);
        var roles = (await cluster.KubectlAsync("get", "clusterrolebinding", "portal-deployer")).Succeeded().Output;
        Assert.Contains("ClusterRole/portal-deployer", roles);
        var accounts = (await cluster.KubectlAsync("-n", "portal", "get", "sa,role,rolebinding,quota")).Succeeded().Output;
        Assert.Contains("serviceaccount/portal", accounts);
        Assert.Contains("resourcequota/portal", accounts);
    }
}
