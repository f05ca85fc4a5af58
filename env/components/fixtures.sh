# shellcheck shell=bash
# Fixture publisher. Images are built without Docker: a busybox-static root file system → `podman import`
# (base layer) → one small `podman build` per tag (FROM the base, COPY of a /www answering the tag), pushed to
# all three registries. Charts: env/fixtures/demo-app packaged in six versions (Helm 3), indexed for the chart
# repositories (.run/fixtures/charts, served by the chartrepo component) and pushed as OCI charts (Helm 4).
#   • every image serves busybox httpd on :8080: `/` → "demo-app <tag>", `/healthz` → "ok"; HEALTHCHECK on /healthz
#   • -crashloop exits 1 at once; -unready serves / but has no /healthz (its checks fail)
#   • -pullerror: its manifest and tag exist, but its top layer is deleted from the registries, so pulls fail
#   • latest is pushed twice (2.0.0's image, then 2.1.0's): it moved between two digests
# kwok gives pods their behaviour from the same tag suffixes (env/k8s-config/kwok.yaml).

FIXTURE_REPOSITORY=demo/app
FIXTURE_TAGS=(1.0.0 1.0.1 1.1.0 1.2.0 2.0.0 2.1.0 v1.0.0 v1.1.0 2.0.0-rc.1 1.1.0-alpine 1.2.0-alpine
  2026.01.15 2026.02.01 1.2.0-crashloop 1.2.0-unready 1.2.0-pullerror)
FIXTURE_LATEST_SOURCES=(2.0.0 2.1.0)
FIXTURE_CHART=demo-app
# chart version → image tag (its appVersion)
FIXTURE_CHART_VERSIONS=(1.0.0=1.0.0 1.1.0=1.1.0 1.2.0=1.2.0-crashloop 1.3.0=1.2.0-unready 1.4.0=1.2.0-pullerror
  2.0.0=2.0.0)
FIXTURES_DIR="$RUN_DIR/fixtures"
FIXTURES_CHARTS="$FIXTURES_DIR/charts"

fixtures_install() {
  apt_ensure busybox-static skopeo
}

fixtures_build_images() {
  local work="$FIXTURES_DIR/build" tag ctx cmd
  rm -rf "$work" && mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp" "$work/rootfs/www"
  cp /bin/busybox "$work/rootfs/bin/busybox"
  # Relative links: `busybox --install -s` would point them at the host's /usr/bin/busybox.
  local applet
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -s busybox "$work/rootfs/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$work/rootfs/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$work/rootfs/etc/group"
  chmod 1777 "$work/rootfs/tmp"
  tar --sort=name --mtime=2026-01-01 --owner=0 --group=0 -C "$work/rootfs" -cf "$work/rootfs.tar" .
  podman import -q "$work/rootfs.tar" localhost/demo-base:busybox >/dev/null
  for tag in "${FIXTURE_TAGS[@]}"; do
    ctx="$work/$tag"
    mkdir -p "$ctx/www"
    printf 'demo-app %s\n' "$tag" >"$ctx/www/index.html"
    [[ "$tag" == *-unready ]] || printf 'ok\n' >"$ctx/www/healthz"
    if [[ "$tag" == *-crashloop ]]; then
      cmd='["/bin/sh", "-c", "echo \"demo-app $APP_VERSION: crashing\" >&2; exit 1"]'
    else
      # sh as PID 1 with a TERM trap, so `docker stop` takes milliseconds, not the 10 s kill timeout.
      cmd='["/bin/sh", "-c", "trap \"exit 0\" TERM INT; httpd -f -p 8080 -h /www & wait"]'
    fi
    cat >"$ctx/Containerfile" <<DOCKERFILE
FROM localhost/demo-base:busybox
COPY www /www
ENV APP_VERSION=$tag
LABEL org.opencontainers.image.title=demo-app org.opencontainers.image.version=$tag
EXPOSE 8080
HEALTHCHECK --interval=2s --timeout=2s --retries=2 CMD wget -q -O /dev/null http://127.0.0.1:8080/healthz || exit 1
CMD $cmd
DOCKERFILE
    podman build -q --format docker -t "localhost/$FIXTURE_REPOSITORY:$tag" "$ctx" >/dev/null
  done
}

# fixtures_push_all PORT [CREDS]: every tag, then latest twice; writes latest digests to .run/fixtures/latest-PORT.
fixtures_push_all() {
  local port="$1" creds=() tag src target
  [ -n "${2:-}" ] && creds=(--creds "$2")
  for tag in "${FIXTURE_TAGS[@]}"; do
    retry 3 podman push -q --tls-verify=false "${creds[@]}" "localhost/$FIXTURE_REPOSITORY:$tag" \
      "docker://127.0.0.1:$port/$FIXTURE_REPOSITORY:$tag"
  done
  : >"$FIXTURES_DIR/latest-$port"
  for src in "${FIXTURE_LATEST_SOURCES[@]}"; do
    target="docker://127.0.0.1:$port/$FIXTURE_REPOSITORY:latest"
    retry 3 podman push -q --tls-verify=false "${creds[@]}" --digestfile "$FIXTURES_DIR/digest-$port" \
      "localhost/$FIXTURE_REPOSITORY:$src" "$target"
    cat "$FIXTURES_DIR/digest-$port" >>"$FIXTURES_DIR/latest-$port" && echo >>"$FIXTURES_DIR/latest-$port"
  done
  fixtures_break_pullerror "$port" "${2:-}"
}

# fixtures_auth_header PORT USER:PASSWORD SCOPE: an authorization header line for the registry on PORT.
fixtures_auth_header() {
  local port="$1" credentials="$2" scope="$3" token
  case "$port" in
    "$REGISTRY_ANON_PORT") echo "X-No-Auth: 1" ;;
    "$REGISTRY_BASIC_PORT") echo "Authorization: Basic $(printf '%s' "$credentials" | base64 -w0)" ;;
    *)
      token="$(curl -fsS -u "$credentials" "http://127.0.0.1:$TOKEN_SERVER_PORT/token?service=$REGISTRY_TOKEN_SERVICE&scope=$scope" |
        node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).token))')"
      echo "Authorization: Bearer $token"
      ;;
  esac
}

# The -pullerror tag keeps its manifest, but its top layer (the /www COPY, unique to the tag) is deleted, so a
# real pull (podman, safe-updater's Docker path) fails with "blob unknown" like a broken or missing image.
fixtures_break_pullerror() {
  local port="$1" credentials="$2" tag auth manifest layer
  for tag in "${FIXTURE_TAGS[@]}"; do
    [[ "$tag" == *-pullerror ]] || continue
    auth="$(fixtures_auth_header "$port" "$credentials" "repository:$FIXTURE_REPOSITORY:pull,push,delete")"
    manifest="$(curl -fsS -H "$auth" -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
      "http://127.0.0.1:$port/v2/$FIXTURE_REPOSITORY/manifests/$tag")"
    layer="$(printf '%s' "$manifest" | node -e \
      'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const m=JSON.parse(s);console.log(m.layers.at(-1).digest)})')"
    curl -fsS -o /dev/null -X DELETE -H "$auth" "http://127.0.0.1:$port/v2/$FIXTURE_REPOSITORY/blobs/$layer"
  done
}

fixtures_build_charts() {
  local work="$FIXTURES_DIR/chart-src" entry version tag dir
  rm -rf "$work" "$FIXTURES_CHARTS" && mkdir -p "$work" "$FIXTURES_CHARTS"
  for entry in "${FIXTURE_CHART_VERSIONS[@]}"; do
    version="${entry%%=*}" tag="${entry#*=}"
    dir="$work/$version/$FIXTURE_CHART"
    mkdir -p "$dir" && cp -r "$ENV_DIR/fixtures/demo-app/." "$dir/"
    sed -i -e "s/^version: .*/version: $version/" -e "s/^appVersion: .*/appVersion: \"$tag\"/" "$dir/Chart.yaml"
    "$TOOLS_BIN/helm3" package -d "$FIXTURES_CHARTS" "$dir" >/dev/null
  done
  "$TOOLS_BIN/helm3" repo index "$FIXTURES_CHARTS"
  for entry in "${FIXTURE_CHART_VERSIONS[@]}"; do
    retry 3 "$TOOLS_BIN/helm4" push "$FIXTURES_CHARTS/$FIXTURE_CHART-${entry%%=*}.tgz" \
      "oci://127.0.0.1:$REGISTRY_ANON_PORT/charts" --plain-http >>"$LOG_DIR/fixtures.log" 2>&1
  done
}

# Published when the marker exists and the anonymous registry still lists every tag and the OCI chart.
fixtures_published() {
  [ -f "$FIXTURES_DIR/fixtures.json" ] && [ -f "$FIXTURES_CHARTS/index.yaml" ] || return 1
  local tags
  tags="$(curl -fsS "http://127.0.0.1:$REGISTRY_ANON_PORT/v2/$FIXTURE_REPOSITORY/tags/list")" || return 1
  local tag
  for tag in "${FIXTURE_TAGS[@]}" latest; do
    [[ "$tags" == *"\"$tag\""* ]] || return 1
  done
  curl -fsS -o /dev/null "http://127.0.0.1:$REGISTRY_ANON_PORT/v2/charts/$FIXTURE_CHART/tags/list"
}

fixtures_start() {
  podman_env
  if ! fixtures_published; then
    mkdir -p "$FIXTURES_DIR"
    # A storage of its own: had the API service's storage kept the built layers, pulls would never touch the
    # registries (and the -pullerror tag would pull fine).
    printf '[storage]\ndriver = "overlay"\ngraphroot = "%s"\nrunroot = "%s"\n' \
      "$FIXTURES_DIR/storage" "$FIXTURES_DIR/runroot" >"$FIXTURES_DIR/storage.conf"
    export CONTAINERS_STORAGE_CONF="$FIXTURES_DIR/storage.conf"
    log "fixtures: building ${#FIXTURE_TAGS[@]} images"
    fixtures_build_images
    log "fixtures: pushing to the three registries"
    local pids=() pid
    fixtures_push_all "$REGISTRY_ANON_PORT" >>"$LOG_DIR/fixtures.log" 2>&1 &
    pids+=($!)
    fixtures_push_all "$REGISTRY_BASIC_PORT" "$REGISTRY_BASIC_USER:$REGISTRY_BASIC_PASSWORD" \
      >>"$LOG_DIR/fixtures.log" 2>&1 &
    pids+=($!)
    fixtures_push_all "$REGISTRY_TOKEN_PORT" "$REGISTRY_TOKEN_USER:$REGISTRY_TOKEN_PASSWORD" \
      >>"$LOG_DIR/fixtures.log" 2>&1 &
    pids+=($!)
    for pid in "${pids[@]}"; do wait "$pid" || die "pushing fixture images failed (see $LOG_DIR/fixtures.log)"; done
    log "fixtures: packaging and publishing the $FIXTURE_CHART chart"
    fixtures_build_charts
    fixtures_write_json >"$FIXTURES_DIR/fixtures.json"
    podman rmi -af >/dev/null 2>&1 || true
    rm -rf "$FIXTURES_DIR/storage" "$FIXTURES_DIR/runroot" "$FIXTURES_DIR/build"
    podman_env
  fi
  env_json_merge fixtures "$(cat "$FIXTURES_DIR/fixtures.json")"
  env_json_merge ociCharts "\"oci://127.0.0.1:$REGISTRY_ANON_PORT/charts\""
}

fixtures_write_json() {
  node -e '
    const fs = require("fs");
    const [repo, tags, latestFile, chart, versions] = process.argv.slice(1);
    const latestDigests = fs.readFileSync(latestFile, "utf8").split("\n").filter(Boolean);
    const chartVersions = Object.fromEntries(versions.split(" ").map((e) => e.split("=")));
    console.log(JSON.stringify({ imageRepository: repo, imageTags: [...tags.split(" "), "latest"],
      latestDigests, chart, chartVersions }));
  ' "$FIXTURE_REPOSITORY" "${FIXTURE_TAGS[*]}" "$FIXTURES_DIR/latest-$REGISTRY_ANON_PORT" "$FIXTURE_CHART" \
    "${FIXTURE_CHART_VERSIONS[*]}"
}

fixtures_stop() {
  env_json_drop fixtures
  env_json_drop ociCharts
}
