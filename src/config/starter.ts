/** The starter configuration `safe-updater init` writes; a test proves it loads without errors. */
export const STARTER_CONFIG = `# safe-updater configuration. Every key is optional; the values shown are the defaults
# or examples. JSON Schema for editors: schema/safe-updater.schema.json in the safe-updater repository.

# Where the journal (update records, audit trail, locks) lives:
#   sqlite://PATH (default), sqlite::memory:, postgres://user:password@host:5432/db?schema=safe_updater
state: sqlite://.safe-updater/state.db

kubernetes:
  # kubeconfig: ~/.kube/config     # default: KUBECONFIG or ~/.kube/config
  # context: my-cluster            # default: the kubeconfig's current context
  namespaces: []                   # empty: all namespaces

helm:
  binary: helm                     # Helm 3 or Helm 4
  driver: secret
  atomic: false                    # true: helm rolls back by itself; safe-updater verifies either way
  timeout: 5m
  historyMax: 10

docker:
  host: unix:///var/run/docker.sock
  enabled: true

# Registries that need credentials or plain HTTP. Prefer passwordEnv or passwordFile to inline passwords.
registries: []
#  - host: registry.example.com
#    username: robot
#    passwordEnv: REGISTRY_PASSWORD
#  - host: 127.0.0.1:5000
#    insecure: true                # plain HTTP

# registriesAuth:
#   dockerConfig: ~/.docker/config.json

# Named policies. Built-in names: all, major, minor, patch, none.
policies:
  careful:
    allow: [patch, minor]          # applied automatically
    approve: [major]               # held for \`safe-updater approve\`; other update types are blocked
    exclude: ['-rc', '-beta']      # tag regexes that rule a version out
    minAge: 24h                    # a release must be this old
    prerelease: false
    windows:
      - cron: '* 2-4 * * *'        # updates may start 02:00-04:59 ...
        timezone: Europe/Berlin    # ... Berlin time

defaultPolicy: minor

rollback:
  enabled: true
  timeout: 5m                      # a rollout must be healthy within this
  monitor: 30s                     # and stay healthy this long
  failureThreshold: 3              # failed checks in a row that trigger a rollback
  maxRollbacks: 3                  # this many rollbacks within \`window\` pause the asset
  window: 1h

orchestrator:
  maxConcurrent: 2
  interval: 5m                     # how often \`safe-updater watch\` looks for updates

healthChecks:
  web-http:
    type: http
    url: http://127.0.0.1:8080/healthz
    expectStatus: [200]
    timeout: 2s
    retries: 3
    interval: 1s

notifications: []
#  - type: slack
#    url: https://hooks.slack.com/services/T000/B000/XXXX
#    events: [update.rolled-back, update.rollback-failed]

# Assets listed explicitly. A Helm release learns here where its chart comes from.
assets: []
#  - id: helm/default/web
#    source: { helmRepo: https://charts.example.com, chart: web }
#    policy: careful
#    healthChecks: [web-http]
`;
