#!/usr/bin/env bash
# `npm run demo`: the main job of safe-updater, end to end, on the local environment.
#   1. brings the environment up (env/up.sh) and builds the CLI;
#   2. deploys, in namespace `demo`, the Helm release `web` (chart demo-app 1.1.0 from the chart repository)
#      and a Deployment `api` running image demo/app:1.0.0;
#   3. scan → plan → update api (a healthy version the policy picks) → update web to chart 1.2.0, whose
#      pods crashloop: detected and rolled back automatically (exit 3 expected) → status → history;
#   4. prints a summary of what happened and why, and exits 0 when everything behaved as expected.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() { printf '\nDEMO FAILED: %s\n' "$*" >&2; exit 1; }

step "environment"
bash env/up.sh

step "build"
npm run --silent build

env_value() { node -e "const e=require('$ROOT/.run/env.json'); console.log($1)"; }
KUBECONFIG_PATH="$(env_value 'e.kubeconfig')"
KUBECTL="$(env_value 'e.tools.kubectl')"
HELM="$(env_value 'e.tools.helm4')"
CHART_REPO="$(env_value 'e.chartRepos.anonymous')"
REGISTRY="$(env_value 'e.registries.anonymous.host')"
IMAGE_REPO="$(env_value 'e.fixtures.imageRepository')"
CHART="$(env_value 'e.fixtures.chart')"
k() { "$KUBECTL" --kubeconfig "$KUBECONFIG_PATH" "$@"; }

DEMO_DIR="$ROOT/.run/demo"
rm -rf "$DEMO_DIR"
mkdir -p "$DEMO_DIR"
CONFIG="$DEMO_DIR/safe-updater.yaml"
cat >"$CONFIG" <<YAML
# Written by scripts/demo.sh
state: sqlite://$DEMO_DIR/state.db
kubernetes: { kubeconfig: $KUBECONFIG_PATH, namespaces: [demo] }
helm: { binary: $HELM, timeout: 2m }
docker: { enabled: false }
registries:
  - { host: '$REGISTRY', insecure: true }
defaultPolicy: minor
rollback: { timeout: 2m, monitor: 5s, maxRollbacks: 3, window: 1h }
assets:
  - id: helm/demo/web
    source: { helmRepo: '$CHART_REPO', chart: $CHART }
  - id: k8s/demo/deployment/api/container/app
    source: { image: '$REGISTRY/$IMAGE_REPO' }
YAML
safe_updater() { node "$ROOT/dist/cli/main.js" --config "$CONFIG" "$@"; }

step "deploy the demo workloads (namespace demo)"
k delete namespace demo --ignore-not-found --wait=true --timeout=120s >/dev/null
k create namespace demo >/dev/null
"$HELM" install web "$CHART" --repo "$CHART_REPO" --version 1.1.0 --namespace demo \
  --kubeconfig "$KUBECONFIG_PATH" --timeout 3m >/dev/null
k apply -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: demo
  annotations: { safe-updater.io/enable: "true" }
spec:
  replicas: 2
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec:
      terminationGracePeriodSeconds: 0
      tolerations: [{ key: kwok.x-k8s.io/node, operator: Exists, effect: NoSchedule }]
      containers:
        - name: app
          image: $REGISTRY/$IMAGE_REPO:1.0.0
          ports: [{ containerPort: 8080 }]
YAML
k -n demo rollout status deployment/web --timeout=180s
k -n demo rollout status deployment/api --timeout=180s

step "scan: what runs"
safe_updater scan

step "plan: what the policy would do"
set +e
safe_updater plan
PLAN_CODE=$?
set -e
echo "(plan exit code $PLAN_CODE: 0 = everything automatic, 4 = something needs approval or is blocked)"

step "update api: the version the policy picks"
safe_updater update k8s/demo/deployment/api/container/app --timeout 180 || fail "updating api did not succeed"
API_NOW="$(k -n demo get deployment api -o jsonpath='{.spec.template.spec.containers[0].image}')"
case "$API_NOW" in *:1.0.0) fail "api still runs 1.0.0 after its update" ;; esac

step "update web to chart 1.2.0 (its image crashloops): expect detection and an automatic rollback"
set +e
safe_updater update helm/demo/web --to-version 1.2.0 --timeout 180
WEB_CODE=$?
set -e
[ "$WEB_CODE" -eq 3 ] || fail "update web to 1.2.0 exited $WEB_CODE, expected 3 (rolled back)"
k -n demo rollout status deployment/web --timeout=180s
WEB_IMAGE="$(k -n demo get deployment web -o jsonpath='{.spec.template.spec.containers[0].image}')"
case "$WEB_IMAGE" in *:1.1.0) ;; *) fail "web runs $WEB_IMAGE after the rollback, expected image 1.1.0" ;; esac

step "status"
set +e
safe_updater status
set -e

step "history"
safe_updater history helm/demo/web
safe_updater history k8s/demo/deployment/api/container/app
WEB_REASON="$(safe_updater --output json history helm/demo/web | node -e \
  'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const h=JSON.parse(s);console.log(h.updates[0]?.reason??"")})')"

step "summary"
cat <<TEXT
  api  k8s/demo/deployment/api/container/app  1.0.0 → ${API_NOW##*:}: updated, verified healthy, succeeded.
  web  helm/demo/web  chart 1.1.0 → 1.2.0: the new pods failed ($WEB_REASON);
       safe-updater rolled the release back to chart 1.1.0 (image ${WEB_IMAGE##*:}) and remembered 1.2.0 as failed,
       so \`plan\` no longer proposes it and \`update\` refuses it until a newer version appears.
  Journal: $DEMO_DIR/state.db   Configuration: $CONFIG
TEXT
echo
echo "DEMO OK"
