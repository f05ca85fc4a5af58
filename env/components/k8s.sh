# shellcheck shell=bash
# A real Kubernetes control plane on loopback: etcd, kube-apiserver, kube-controller-manager and kube-scheduler
# built from Go modules (wrapper modules in env/k8s/{etcd,kube,kwok}: k8s.io/kubernetes v1.34.4, etcd v3.6.16,
# kwok v0.8.0) into .tools/k8s/bin, and kwok simulating K8S_NODES nodes with the Stages of env/cluster/kwok.yaml.
# Certificates by openssl under .run/k8s/pki; admin kubeconfig at .run/k8s/kubeconfig.
# k8s_start waits until the cluster really works: nodes Ready with their kubelet endpoint, the default
# ServiceAccount, and a probe pod that becomes Ready and answers `kubectl exec`.

K8S_VERSION=v1.34.4
K8S_NODES=3
K8S_DIR="$RUN_DIR/k8s"
K8S_PKI="$K8S_DIR/pki"
K8S_BIN="$TOOLS_DIR/k8s/bin"
K8S_KUBECONFIG="$K8S_DIR/kubeconfig"
K8S_SERVICE_CIDR=10.96.0.0/16

# -s -w: no symbol table or DWARF, so linking the three big binaries takes far less time (and disk).
K8S_LDFLAGS="-s -w"

# Inputs of the build: the wrapper modules, the Go version and the flags. A change rebuilds.
k8s_build_stamp() {
  { cat "$ENV_DIR"/k8s/*/go.mod "$ENV_DIR"/k8s/*/go.sum; go version; echo "$K8S_VERSION $K8S_LDFLAGS"; } |
    sha256sum | cut -c1-16
}

k8s_binaries_current() {
  local b
  for b in etcd kube-apiserver kube-controller-manager kube-scheduler kwok; do
    [ -x "$K8S_BIN/$b" ] || return 1
  done
  [ "$(cat "$K8S_BIN/.stamp" 2>/dev/null)" = "$(k8s_build_stamp)" ]
}

k8s_install() {
  k8s_binaries_current && return 0
  local minor="${K8S_VERSION#v1.}"
  minor="${minor%%.*}"
  local ldflags="$K8S_LDFLAGS -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  mkdir -p "$K8S_BIN"
  log "k8s: go build etcd"
  (cd "$ENV_DIR/k8s/etcd" && go build -ldflags "$K8S_LDFLAGS" -o "$K8S_BIN/etcd" go.etcd.io/etcd/server/v3) || die "building etcd failed"
  log "k8s: go build kwok"
  (cd "$ENV_DIR/k8s/kwok" && go build -ldflags "$K8S_LDFLAGS" -o "$K8S_BIN/kwok" sigs.k8s.io/kwok/cmd/kwok) || die "building kwok failed"
  log "k8s: go build kube-apiserver kube-controller-manager kube-scheduler"
  (cd "$ENV_DIR/k8s/kube" && go build -ldflags "$ldflags" -o "$K8S_BIN/" k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler) ||
    die "building the Kubernetes control plane failed"
  k8s_build_stamp >"$K8S_BIN/.stamp"
  log "k8s: binaries built"
}

# k8s_cert NAME CN [O] [SAN]: a key and a certificate signed by the cluster CA.
k8s_cert() {
  local name="$1" cn="$2" org="${3:-}" san="${4:-}" subj="/CN=$2"
  [ -s "$K8S_PKI/$name.crt" ] && return 0
  [ -n "$org" ] && subj="/O=$org/CN=$cn"
  openssl req -new -newkey rsa:2048 -nodes -subj "$subj" -keyout "$K8S_PKI/$name.key" -out "$K8S_PKI/$name.csr" \
    >/dev/null 2>&1
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    if [ -n "$san" ]; then
      echo "extendedKeyUsage=serverAuth,clientAuth"
      echo "subjectAltName=$san"
    else
      echo "extendedKeyUsage=clientAuth"
    fi
  } >"$K8S_PKI/$name.ext"
  openssl x509 -req -in "$K8S_PKI/$name.csr" -CA "$K8S_PKI/ca.crt" -CAkey "$K8S_PKI/ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$K8S_PKI/$name.ext" -out "$K8S_PKI/$name.crt" >/dev/null 2>&1
  rm -f "$K8S_PKI/$name.csr" "$K8S_PKI/$name.ext"
}

k8s_pki() {
  mkdir -p "$K8S_PKI"
  if [ ! -s "$K8S_PKI/ca.crt" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=safe-updater-local-ca" \
      -keyout "$K8S_PKI/ca.key" -out "$K8S_PKI/ca.crt" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" >/dev/null 2>&1
  fi
  k8s_cert apiserver kube-apiserver "" \
    "IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  k8s_cert admin admin system:masters
  k8s_cert kwok-serving kwok "" "IP:127.0.0.1,DNS:localhost"
  if [ ! -s "$K8S_PKI/sa.key" ]; then
    openssl genrsa -out "$K8S_PKI/sa.key" 2048 >/dev/null 2>&1
    openssl rsa -in "$K8S_PKI/sa.key" -pubout -out "$K8S_PKI/sa.pub" >/dev/null 2>&1
  fi
  # Embedded certificates: the kubeconfig stays valid wherever a test copies it.
  cat >"$K8S_KUBECONFIG" <<YAML
apiVersion: v1
kind: Config
clusters:
  - name: local
    cluster:
      server: https://127.0.0.1:$APISERVER_PORT
      certificate-authority-data: $(base64 -w0 <"$K8S_PKI/ca.crt")
users:
  - name: admin
    user:
      client-certificate-data: $(base64 -w0 <"$K8S_PKI/admin.crt")
      client-key-data: $(base64 -w0 <"$K8S_PKI/admin.key")
contexts:
  - name: local
    context:
      cluster: local
      user: admin
      namespace: default
current-context: local
YAML
}

kctl() { "$TOOLS_BIN/kubectl" --kubeconfig "$K8S_KUBECONFIG" --request-timeout=20s "$@"; }

k8s_apiserver_ready() { kctl get --raw /readyz >/dev/null; }

k8s_start_processes() {
  if ! is_running k8s-etcd; then
    require_port k8s-etcd "$ETCD_CLIENT_PORT"
    start_daemon k8s-etcd "$K8S_BIN/etcd" --name local --data-dir "$K8S_DIR/etcd" \
      --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
      --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
      --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
      --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
      --initial-cluster "local=http://127.0.0.1:$ETCD_PEER_PORT" \
      --listen-metrics-urls "" --unsafe-no-fsync --quota-backend-bytes 4294967296 --log-level warn
  fi
  wait_until 60 "etcd on :$ETCD_CLIENT_PORT" http_ok "http://127.0.0.1:$ETCD_CLIENT_PORT/health"

  if ! is_running k8s-apiserver; then
    require_port k8s-apiserver "$APISERVER_PORT"
    start_daemon k8s-apiserver "$K8S_BIN/kube-apiserver" \
      --etcd-servers "http://127.0.0.1:$ETCD_CLIENT_PORT" \
      --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$APISERVER_PORT" \
      --tls-cert-file "$K8S_PKI/apiserver.crt" --tls-private-key-file "$K8S_PKI/apiserver.key" \
      --client-ca-file "$K8S_PKI/ca.crt" \
      --service-account-issuer https://kubernetes.default.svc.cluster.local \
      --service-account-key-file "$K8S_PKI/sa.pub" --service-account-signing-key-file "$K8S_PKI/sa.key" \
      --service-cluster-ip-range "$K8S_SERVICE_CIDR" \
      --authorization-mode RBAC \
      --kubelet-client-certificate "$K8S_PKI/admin.crt" --kubelet-client-key "$K8S_PKI/admin.key" \
      --kubelet-preferred-address-types InternalIP \
      --allow-privileged --profiling=false --enable-priority-and-fairness=false \
      --endpoint-reconciler-type none --event-ttl 30m --v 1
  fi
  wait_until 180 "kube-apiserver /readyz on :$APISERVER_PORT" k8s_apiserver_ready

  if ! is_running k8s-controller-manager; then
    start_daemon k8s-controller-manager "$K8S_BIN/kube-controller-manager" \
      --kubeconfig "$K8S_KUBECONFIG" --authentication-kubeconfig "$K8S_KUBECONFIG" \
      --authorization-kubeconfig "$K8S_KUBECONFIG" \
      --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false \
      --service-account-private-key-file "$K8S_PKI/sa.key" --root-ca-file "$K8S_PKI/ca.crt" \
      --cluster-signing-cert-file "$K8S_PKI/ca.crt" --cluster-signing-key-file "$K8S_PKI/ca.key" \
      --use-service-account-credentials=false --service-cluster-ip-range "$K8S_SERVICE_CIDR" \
      --controllers '*' --node-monitor-grace-period 120s --profiling=false --v 1
  fi
  if ! is_running k8s-scheduler; then
    start_daemon k8s-scheduler "$K8S_BIN/kube-scheduler" \
      --kubeconfig "$K8S_KUBECONFIG" --authentication-kubeconfig "$K8S_KUBECONFIG" \
      --authorization-kubeconfig "$K8S_KUBECONFIG" \
      --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false --profiling=false --v 1
  fi
  if ! is_running k8s-kwok; then
    require_port k8s-kwok "$KWOK_PORT"
    start_daemon k8s-kwok "$K8S_BIN/kwok" --config "$ENV_DIR/cluster/kwok.yaml" \
      --kubeconfig "$K8S_KUBECONFIG" --v WARN \
      --tls-cert-file "$K8S_PKI/kwok-serving.crt" --tls-private-key-file "$K8S_PKI/kwok-serving.key"
  fi
}

k8s_create_nodes() {
  local i manifest=""
  for i in $(seq 0 $((K8S_NODES - 1))); do
    manifest+="---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: \"0\"
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/os: linux
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: \"\"
    type: kwok
"
  done
  printf '%s' "$manifest" | kctl apply -f - >/dev/null
}

# Every node Ready, untainted, with its kubelet endpoint (kubectl exec/logs go there).
k8s_nodes_ready() {
  kctl get nodes -o json | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const nodes = JSON.parse(s).items;
      const want = Number(process.argv[1]), port = Number(process.argv[2]);
      const ok = nodes.filter((n) =>
        (n.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True") &&
        n.status.daemonEndpoints?.kubeletEndpoint?.Port === port &&
        !(n.spec.taints ?? []).some((t) => t.effect === "NoSchedule" || t.effect === "NoExecute"));
      process.exit(ok.length >= want ? 0 : 1);
    });' "$K8S_NODES" "$KWOK_PORT"
}

k8s_default_sa() { kctl -n default get serviceaccount default; }

k8s_probe_ready() {
  [ "$(kctl -n default get pod env-probe -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}

k8s_probe_exec() { [ "$(kctl -n default exec env-probe -- echo exec-ok 2>/dev/null)" = exec-ok ]; }

k8s_start() {
  mkdir -p "$K8S_DIR"
  k8s_pki
  k8s_start_processes
  k8s_create_nodes
  wait_until 180 "$K8S_NODES kwok nodes Ready with their kubelet endpoint" k8s_nodes_ready
  wait_until 180 "the default ServiceAccount in namespace default" k8s_default_sa
  kctl -n default delete pod env-probe --ignore-not-found --wait=true >/dev/null
  kctl apply -f "$ENV_DIR/cluster/probe-pod.yaml" >/dev/null
  wait_until 180 "probe pod env-probe Ready" k8s_probe_ready
  wait_until 120 "kubectl exec into the probe pod" k8s_probe_exec
  kctl -n default delete pod env-probe --wait=false >/dev/null
  env_json_merge kubeconfig "\"$K8S_KUBECONFIG\""
  env_json_merge kubernetes "$(printf '{"version":"%s","server":"https://127.0.0.1:%s","nodes":%s}' \
    "$K8S_VERSION" "$APISERVER_PORT" "$K8S_NODES")"
}

k8s_stop() {
  local name
  for name in kwok scheduler controller-manager apiserver etcd; do stop_daemon "k8s-$name"; done
  env_json_drop kubeconfig
  env_json_drop kubernetes
}
