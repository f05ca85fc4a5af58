#!/usr/bin/env bash
# Builds the safe-updater container image WITHOUT Docker, in the layout of the repository's Dockerfile, and
# pushes it to the local anonymous registry: `bash scripts/image.sh` prints the reference it pushed,
# e.g. 127.0.0.1:5001/safe-updater:0.1.0 (tag = package.json version).
#
# Like env/components/fixtures.sh: a root file system tar → `podman import` (with ENTRYPOINT, CMD, USER,
# WORKDIR, ENV) → `podman push`. The root file system holds:
#   /usr/local/bin/node      this machine's Node (+ the shared libraries ldd lists and the dynamic loader)
#   /app/dist                compiled from src/ (tsconfig.build.json) into the build folder, not ./dist
#   /app/node_modules        production dependencies only (`npm prune --omit=dev` of a copy of ./node_modules,
#                            so better-sqlite3 is the native build made for this Node)
#   /usr/local/bin/helm      Helm 4 from .tools (env/components/tools.sh); SAFE_UPDATER_IMAGE_HELM=PATH overrides
#   /etc/ssl/certs/ca-certificates.crt (if the machine has it), /etc/passwd with safe-updater (uid 10001),
#   /tmp (1777), /data (the working directory, owned by 10001)
# Needs: `npm ci` done, and `bash env/up.sh tools registry podman` (podman with the project's containers.conf).
# Environment: SAFE_UPDATER_IMAGE_REGISTRY (default 127.0.0.1:5001), SAFE_UPDATER_IMAGE_HELM (helm binary).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=SCRIPTDIR/../env/lib/common.sh
source "$ROOT/env/lib/common.sh"
# shellcheck source=SCRIPTDIR/../env/components/podman.sh
source "$ROOT/env/components/podman.sh"

die() {
  printf 'scripts/image.sh: error: %s\n' "$*" >&2
  exit 1
}

APP_UID=10001
WORK="$RUN_DIR/image"
LOG="$LOG_DIR/image.log"
REGISTRY="${SAFE_UPDATER_IMAGE_REGISTRY:-127.0.0.1:$REGISTRY_ANON_PORT}"
HELM="${SAFE_UPDATER_IMAGE_HELM:-$TOOLS_BIN/helm4}"

# quietly DESCRIPTION CMD...: runs CMD with its output in the log; on failure says what failed and shows the end.
quietly() {
  local what="$1"
  shift
  printf '\n=== %s: %s\n' "$(date -u +%FT%TZ)" "$what" >>"$LOG"
  if ! "$@" >>"$LOG" 2>&1; then
    tail -n 20 "$LOG" >&2
    die "$what failed (full log: $LOG)"
  fi
}

# copy_file SRC ROOTFS: copies SRC (symlinks resolved) to the same absolute path under ROOTFS.
copy_file() {
  mkdir -p "$2$(dirname "$1")"
  cp -L "$1" "$2$1"
}

# copy_libraries BINARY ROOTFS: every shared library ldd lists for BINARY, and the dynamic loader.
copy_libraries() {
  local lib
  while read -r lib; do
    [ -n "$lib" ] && copy_file "$lib" "$2"
  done < <(ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
}

command -v podman >/dev/null || die "podman is missing: run \`bash env/up.sh podman\`"
[ -f "$PODMAN_DIR/containers.conf" ] || die "no $PODMAN_DIR/containers.conf: run \`bash env/up.sh podman\`"
[ -x "$HELM" ] || die "no helm binary at $HELM: run \`bash env/up.sh tools\` (or set SAFE_UPDATER_IMAGE_HELM)"
[ -x "$ROOT/node_modules/.bin/tsc" ] || die "node_modules is incomplete: run \`npm ci\`"
NODE="$(readlink -f "$(command -v node)")" || die "node is not on the PATH"
curl -fs -o /dev/null --max-time 10 "http://$REGISTRY/v2/" ||
  die "no registry answers at http://$REGISTRY/v2/: run \`bash env/up.sh registry\`"
VERSION="$(node -p 'require(process.argv[1]).version' "$ROOT/package.json")"
REFERENCE="$REGISTRY/safe-updater:$VERSION"

rm -rf "$WORK" && mkdir -p "$WORK"
: >"$LOG"
ROOTFS="$WORK/rootfs"
APP="$ROOTFS/app"
mkdir -p "$APP" "$ROOTFS/usr/local/bin" "$ROOTFS/etc" "$ROOTFS/tmp" "$ROOTFS/data"

quietly "compiling src/ (tsc -p tsconfig.build.json)" \
  "$ROOT/node_modules/.bin/tsc" -p "$ROOT/tsconfig.build.json" --outDir "$APP/dist"
cp "$ROOT/package.json" "$ROOT/package-lock.json" "$APP/"
cp -a "$ROOT/node_modules" "$APP/node_modules"
(cd "$APP" && quietly "npm prune --omit=dev" npm prune --omit=dev --offline --ignore-scripts --no-audit --no-fund)
rm "$APP/package-lock.json"
# Caches of the dev tools (.vite, .cache) are no packages: prune leaves them.
find "$APP/node_modules" -mindepth 1 -maxdepth 1 -name '.*' ! -name .bin ! -name .package-lock.json -exec rm -rf {} +
# better-sqlite3 needs only its compiled addon at run time, not the SQLite sources or the build's objects.
(cd "$APP/node_modules/better-sqlite3" && rm -rf deps src build/Release/obj build/Release/obj.target \
  build/Release/.deps build/Release/sqlite3.a build/Release/test_extension.node)
(cd "$APP" && quietly "loading better-sqlite3 with $NODE" \
  "$NODE" -e 'new (require("better-sqlite3"))(":memory:").prepare("select 1").get()')

cp -L "$NODE" "$ROOTFS/usr/local/bin/node"
copy_libraries "$NODE" "$ROOTFS"
while IFS= read -r -d '' addon; do
  copy_libraries "$addon" "$ROOTFS"
done < <(find "$APP/node_modules" -name '*.node' -type f -print0)
cp -L "$HELM" "$ROOTFS/usr/local/bin/helm"
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  copy_file /etc/ssl/certs/ca-certificates.crt "$ROOTFS"
fi
printf 'root:x:0:0:root:/root:/sbin/nologin\nsafe-updater:x:%s:%s::/data:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' \
  "$APP_UID" "$APP_UID" >"$ROOTFS/etc/passwd"
printf 'root:x:0:\nsafe-updater:x:%s:\nnogroup:x:65534:\n' "$APP_UID" >"$ROOTFS/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$ROOTFS/etc/nsswitch.conf"
chmod 1777 "$ROOTFS/tmp"
"$ROOTFS/usr/local/bin/helm" version --short >/dev/null 2>&1 || die "$HELM does not run"

# Everything root-owned except /data (appended with the app user as owner), reproducible order and times.
TAR="$WORK/rootfs.tar"
tar --sort=name --mtime=2026-01-01 --owner=0 --group=0 --numeric-owner --exclude=./data \
  -C "$ROOTFS" -cf "$TAR" .
tar --mtime=2026-01-01 --owner="$APP_UID" --group="$APP_UID" --numeric-owner --no-recursion \
  -C "$ROOTFS" -rf "$TAR" ./data

podman_env
previous="$(podman image inspect --format '{{.Id}}' "$REFERENCE" 2>/dev/null || true)"
quietly "podman import" podman import -q \
  --change 'ENTRYPOINT ["node", "/app/dist/cli/main.js"]' \
  --change 'CMD ["watch", "--listen", "0.0.0.0:8080"]' \
  --change "USER $APP_UID:$APP_UID" \
  --change 'WORKDIR /data' \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change 'ENV NODE_ENV=production' \
  --change 'ENV HELM_CACHE_HOME=/tmp/helm/cache' \
  --change 'ENV HELM_CONFIG_HOME=/tmp/helm/config' \
  --change 'ENV HELM_DATA_HOME=/tmp/helm/data' \
  --change 'EXPOSE 8080' \
  --change 'LABEL org.opencontainers.image.title=safe-updater' \
  --change "LABEL org.opencontainers.image.version=$VERSION" \
  "$TAR" "$REFERENCE"
quietly "podman push $REFERENCE" retry 3 podman push -q --tls-verify=false "$REFERENCE"
# Idempotent: the image this tag named before is dropped (unless a container still uses it), and so is the
# build folder; the log stays in .run/logs/image.log.
if [ -n "$previous" ] && [ "$previous" != "$(podman image inspect --format '{{.Id}}' "$REFERENCE")" ]; then
  podman rmi "$previous" >>"$LOG" 2>&1 || true
fi
rm -rf "$WORK"
printf '%s\n' "$REFERENCE"
