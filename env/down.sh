#!/usr/bin/env bash
# Stops what env/up.sh started, by pid file: `bash env/down.sh [--purge] [component...]`.
# --purge also deletes the state under .run/ (registry contents, databases, cluster data); the built tools
# in .tools/ stay, so the next up.sh is a warm start.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

ALL_COMPONENTS=(tools postgres registry podman fixtures chartrepo k8s)
purge=""
components=()
for arg in "$@"; do
  case "$arg" in
    --purge) purge=1 ;;
    *) components+=("$arg") ;;
  esac
done
[ ${#components[@]} -eq 0 ] && components=("${ALL_COMPONENTS[@]}")

exec 9>"$RUN_DIR/up.lock"
flock 9

for f in "$ENV_DIR"/components/*.sh; do
  # shellcheck source=/dev/null
  source "$f"
done

# Reverse order: the cluster and chart server first, the registries they read from last.
for ((i = ${#ALL_COMPONENTS[@]} - 1; i >= 0; i--)); do
  c="${ALL_COMPONENTS[$i]}"
  [[ " ${components[*]} " == *" $c "* ]] || continue
  "${c}_stop"
done

if [ -n "$purge" ]; then
  if [ ${#components[@]} -eq ${#ALL_COMPONENTS[@]} ]; then
    log "purging $RUN_DIR"
    find "$RUN_DIR" -mindepth 1 -maxdepth 1 ! -name up.lock -exec rm -rf {} +
  else
    # Each component keeps its state in .run/<component>.
    for c in "${components[@]}"; do
      rm -rf "${RUN_DIR:?}/$c"
    done
  fi
fi
log "environment down"
