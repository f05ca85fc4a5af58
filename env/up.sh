#!/usr/bin/env bash
# Brings the local environment up on 127.0.0.1, idempotently: `bash env/up.sh [component...]`.
# Components (default: all, in this order): tools postgres registry podman fixtures chartrepo k8s.
# Each lives in env/components/NAME.sh with NAME_install (provision, cached) and NAME_start (start if not
# running, wait until it really works, merge its connection details into .run/env.json).
# A second run while everything is up only re-checks health and takes seconds.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

ALL_COMPONENTS=(tools postgres registry podman fixtures chartrepo k8s)
requested=("$@")
[ ${#requested[@]} -eq 0 ] && requested=("${ALL_COMPONENTS[@]}")

# Dependencies: fixtures push to the registries with podman and helm; the chart repository serves the
# fixture charts; the cluster's readiness probe pod runs a fixture image.
declare -A DEPS=(
  [fixtures]="tools registry podman"
  [chartrepo]="tools fixtures"
  [k8s]="tools"
)
declare -A WANTED=()
want() {
  local c="$1" d
  for d in ${DEPS[$c]:-}; do want "$d"; done
  WANTED[$c]=1
}
for c in "${requested[@]}"; do
  [ -f "$ENV_DIR/components/$c.sh" ] || die "unknown component '$c' (known: ${ALL_COMPONENTS[*]})"
  want "$c"
done

# One up.sh at a time: two runs racing on the same pid files and ports would corrupt both.
exec 9>"$RUN_DIR/up.lock"
flock 9

for f in "$ENV_DIR"/components/*.sh; do
  # shellcheck source=/dev/null
  source "$f"
done

started_at=$SECONDS
# The control plane's Go build is the long pole of a cold start: run it in the background while the other
# components come up (it needs nothing from them).
k8s_build_pid=""
if [ -n "${WANTED[k8s]:-}" ] && ! k8s_binaries_current; then
  log "k8s: building the control plane in the background (log: .run/logs/k8s-build.log)"
  (k8s_install >>"$LOG_DIR/k8s-build.log" 2>&1) &
  k8s_build_pid=$!
fi

for c in "${ALL_COMPONENTS[@]}"; do
  [ -n "${WANTED[$c]:-}" ] || continue
  t0=$SECONDS
  if [ "$c" = k8s ] && [ -n "$k8s_build_pid" ]; then
    wait "$k8s_build_pid" || die "k8s build failed: see $LOG_DIR/k8s-build.log"
  else
    "${c}_install"
  fi
  "${c}_start"
  log "$c up ($((SECONDS - t0))s)"
done

log "environment up in $((SECONDS - started_at))s; connection details: $ENV_JSON"
