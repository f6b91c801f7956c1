"""Debian's python3-kubernetes against a Sandbox: list, read, create, patch, scale, watch, pod logs and claims.

Usage: judge.py KUBECONFIG NAMESPACE. Prints one "ok <step>" line per step; exits non-zero on the first failure.
"""
import sys
import threading
import time

from kubernetes import client, config, watch

kubeconfig, namespace = sys.argv[1], sys.argv[2]
config.load_kube_config(config_file=kubeconfig)
core = client.CoreV1Api()
apps = client.AppsV1Api()


def ok(step):
    print("ok " + step, flush=True)


def fail(message):
    print("FAIL " + message, flush=True)
    sys.exit(1)


# list and read
names = [n.metadata.name for n in core.list_namespace().items]
if namespace not in names:
    fail("namespace %s not listed in %s" % (namespace, names))
ok("list")
if core.read_namespace(namespace).status.phase != "Active":
    fail("namespace not Active")
ok("read")

# create and patch
core.create_namespaced_config_map(namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="settings"), data={"MODE": "fast"}))
patched = core.patch_namespaced_config_map("settings", namespace, {"data": {"LEVEL": "3"}})
if patched.data != {"MODE": "fast", "LEVEL": "3"}:
    fail("patch gave %s" % patched.data)
ok("create and patch")

# scale a deployment through its /scale subresource
container = client.V1Container(name="web", image="nginx:1.27", ports=[client.V1ContainerPort(container_port=80)])
deployment = client.V1Deployment(
    metadata=client.V1ObjectMeta(name="web"),
    spec=client.V1DeploymentSpec(
        replicas=1,
        selector=client.V1LabelSelector(match_labels={"app": "web"}),
        template=client.V1PodTemplateSpec(metadata=client.V1ObjectMeta(labels={"app": "web"}), spec=client.V1PodSpec(containers=[container]))))
apps.create_namespaced_deployment(namespace, deployment)
apps.patch_namespaced_deployment_scale("web", namespace, {"spec": {"replicas": 2}})
if apps.read_namespaced_deployment_scale("web", namespace).spec.replicas != 2:
    fail("scale not applied")
ok("scale")

# watch: must stay open and deliver a change made after it started (python sends watch=True)
start_version = core.list_namespaced_config_map(namespace).metadata.resource_version


def create_later():
    time.sleep(0.5)
    core.create_namespaced_config_map(namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="later"), data={"A": "1"}))


threading.Thread(target=create_later, daemon=True).start()
w = watch.Watch()
seen = []
started = time.monotonic()
for event in w.stream(core.list_namespaced_config_map, namespace, resource_version=start_version, timeout_seconds=20):
    seen.append((event["type"], event["object"].metadata.name))
    if event["object"].metadata.name == "later":
        w.stop()
if ("ADDED", "later") not in seen:
    fail("watch ended after %.1fs without the new config map: %s" % (time.monotonic() - started, seen))
ok("watch")

# pod logs, once a pod of the deployment runs
deadline = time.monotonic() + 60
pod = None
while time.monotonic() < deadline:
    pods = core.list_namespaced_pod(namespace, label_selector="app=web").items
    running = [p for p in pods if p.status.container_statuses and p.status.container_statuses[0].state.running]
    if running:
        pod = running[0].metadata.name
        break
    time.sleep(0.2)
if pod is None:
    fail("no running pod")
log = core.read_namespaced_pod_log(pod, namespace, tail_lines=10)
if "starting nginx:1.27" not in log:
    fail("log was %r" % log)
ok("logs")

# a claim: created Pending, bound by the volume controller, never shrunk, grown with its capacity following
claim = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
         "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "2Gi"}}}}
created = core.create_namespaced_persistent_volume_claim(namespace, claim)
if created.status.phase != "Pending" or created.spec.storage_class_name != "standard":
    fail("claim created as %s of class %s" % (created.status.phase, created.spec.storage_class_name))
deadline = time.monotonic() + 30
while core.read_namespaced_persistent_volume_claim("data", namespace).status.phase != "Bound":
    if time.monotonic() > deadline:
        fail("claim never bound")
    time.sleep(0.1)
bound = core.read_namespaced_persistent_volume_claim("data", namespace)
if core.read_persistent_volume(bound.spec.volume_name).spec.claim_ref.name != "data" or bound.status.capacity != {"storage": "2Gi"}:
    fail("claim bound to %s with %s" % (bound.spec.volume_name, bound.status.capacity))
try:
    core.patch_namespaced_persistent_volume_claim("data", namespace, {"spec": {"resources": {"requests": {"storage": "1Gi"}}}})
    fail("a shrink was accepted")
except client.exceptions.ApiException as e:
    if e.status != 422 or "field can not be less than previous value" not in e.body:
        fail("shrink refused with %s %s" % (e.status, e.body))
core.patch_namespaced_persistent_volume_claim("data", namespace, {"spec": {"resources": {"requests": {"storage": "3Gi"}}}})
deadline = time.monotonic() + 30
while core.read_namespaced_persistent_volume_claim("data", namespace).status.capacity != {"storage": "3Gi"}:
    if time.monotonic() > deadline:
        fail("capacity never followed the grown claim")
    time.sleep(0.1)
ok("claims")
