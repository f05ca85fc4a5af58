/**
 * The configuration file `safe-updater.yaml`, validated with zod. Every object is strict, so a misspelt key
 * is an error (src/config/load.ts adds the line, the column and a "did you mean" hint). Durations stay
 * strings here (`30s`, `5m`) and are validated by src/config/duration.ts; callers convert with parseDuration.
 * The JSON Schema in schema/safe-updater.schema.json is generated from this file (npm run schema:generate).
 */
import { z } from 'zod';
import { NOTIFICATION_EVENTS } from '../notify/notifier.js';
import { DURATION_PATTERN } from './duration.js';

export const DEFAULT_STATE_URL = 'sqlite://.safe-updater/state.db';

/** Keel's policy names, always available besides the ones a configuration defines. */
export const BUILTIN_POLICIES = ['all', 'major', 'minor', 'patch', 'none'] as const;

/** A pattern rather than a refinement, so that the generated JSON Schema carries it to editors too. */
export const duration = z
  .string()
  .regex(new RegExp(DURATION_PATTERN), { message: 'expected a duration such as 250ms, 30s, 5m or 1h' })
  .meta({ description: 'A duration: a number with a unit (ms, s, m, h, d), e.g. 30s, 5m, 1h30m.' });

const updateType = z.enum(['major', 'minor', 'patch', 'prerelease', 'digest']);

const regex = z.string().refine(
  (pattern) => {
    try {
      new RegExp(pattern);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected a valid regular expression' },
);

const kubernetes = z
  .strictObject({
    kubeconfig: z
      .string()
      .optional()
      .meta({ description: 'Path of a kubeconfig file; default: KUBECONFIG or ~/.kube/config.' }),
    context: z
      .string()
      .optional()
      .meta({ description: 'kubeconfig context to use; default: its current context.' }),
    namespaces: z
      .array(z.string().min(1))
      .default([])
      .meta({ description: 'Namespaces to watch; empty means all.' }),
    enabled: z.boolean().default(true),
  })
  .meta({ description: 'Kubernetes API access.' });

const helm = z
  .strictObject({
    binary: z
      .string()
      .min(1)
      .default('helm')
      .meta({ description: 'helm binary (Helm 3 or 4), a path or a name on PATH.' }),
    driver: z
      .enum(['secret', 'configmap', 'sql', 'memory'])
      .default('secret')
      .meta({ description: 'Helm storage driver (HELM_DRIVER).' }),
    atomic: z
      .boolean()
      .default(false)
      .meta({ description: 'Let helm roll back by itself on failure (--atomic / --rollback-on-failure).' }),
    timeout: duration.default('5m'),
    historyMax: z
      .int()
      .min(0)
      .default(10)
      .meta({ description: 'Release revisions helm keeps (--history-max).' }),
    enabled: z.boolean().default(true),
  })
  .meta({ description: 'Helm releases.' });

const docker = z
  .strictObject({
    host: z
      .string()
      .min(1)
      .default('unix:///var/run/docker.sock')
      .meta({ description: 'Docker Engine API: unix:///path or tcp://host:port.' }),
    enabled: z.boolean().default(true),
    watchAll: z.boolean().default(false).meta({
      description:
        "Watch every running container (Watchtower's default), not only those labelled safe-updater.io/enable=true; a label set to false still opts a container out.",
    }),
    cleanup: z.boolean().default(false).meta({
      description:
        "Remove the previous image after a verified update when no container uses it any more (Watchtower's --cleanup).",
    }),
  })
  .meta({ description: 'Docker containers.' });

const registry = z
  .strictObject({
    host: z.string().min(1).meta({ description: 'Registry host[:port], e.g. ghcr.io or 127.0.0.1:5002.' }),
    insecure: z.boolean().default(false).meta({ description: 'Speak plain HTTP to this registry.' }),
    username: z.string().optional(),
    password: z
      .string()
      .optional()
      .meta({ description: 'Inline password; prefer passwordEnv or passwordFile.' }),
    passwordEnv: z
      .string()
      .optional()
      .meta({ description: 'Name of an environment variable holding the password.' }),
    passwordFile: z.string().optional().meta({ description: 'Path of a file holding the password.' }),
  })
  .refine((r) => [r.password, r.passwordEnv, r.passwordFile].filter((v) => v !== undefined).length <= 1, {
    message: 'expected at most one of password, passwordEnv, passwordFile',
  });

const registriesAuth = z.strictObject({
  dockerConfig: z.string().optional().meta({ description: 'Path of a docker config.json with credentials.' }),
});

const updateWindow = z.strictObject({
  cron: z
    .string()
    .min(1)
    .meta({ description: 'Cron expression (croner) of the minutes in which updates may start.' }),
  timezone: z.string().optional().meta({ description: 'IANA time zone, e.g. Europe/Berlin; default UTC.' }),
});

export const policySchema = z
  .strictObject({
    allow: z.array(updateType).default([]).meta({ description: 'Update types applied automatically.' }),
    approve: z
      .array(updateType)
      .default([])
      .meta({ description: 'Update types that need an approval; the rest are blocked.' }),
    include: z
      .array(regex)
      .default([])
      .meta({ description: 'Tag/version regexes a target must match (any).' }),
    exclude: z.array(regex).default([]).meta({ description: 'Tag/version regexes that rule a target out.' }),
    pin: z.string().optional().meta({ description: "Semver range the target must satisfy, e.g. '1.x'." }),
    minAge: duration.optional().meta({ description: 'Minimum release age before a version is considered.' }),
    prerelease: z.boolean().default(false).meta({ description: 'Allow pre-release versions.' }),
    windows: z
      .array(updateWindow)
      .default([])
      .meta({ description: 'Allowed update windows; empty means any time.' }),
    schedule: z.string().min(1).optional().meta({
      description:
        "How often `watch` looks up assets under this policy: '@every 10m', '10m' or a cron expression (UTC); default: watch.interval.",
    }),
  })
  .meta({ description: 'A named update policy.' });

const rollback = z.strictObject({
  enabled: z
    .boolean()
    .default(true)
    .meta({ description: 'Roll back automatically when verification fails.' }),
  timeout: duration.default('5m').meta({ description: 'How long a rollout may take to become healthy.' }),
  monitor: duration
    .default('30s')
    .meta({ description: 'How long an update is watched after it became healthy.' }),
  failureThreshold: z
    .int()
    .min(1)
    .default(3)
    .meta({ description: 'Consecutive failed checks that trigger a rollback.' }),
  maxRollbacks: z
    .int()
    .min(1)
    .default(3)
    .meta({ description: 'Rollbacks within `window` that pause the asset.' }),
  window: duration.default('1h'),
});

const orchestrator = z.strictObject({
  maxConcurrent: z.int().min(1).default(2).meta({ description: 'Updates running at the same time.' }),
  maxConcurrentPerNamespace: z.int().min(1).optional().meta({
    description:
      'Updates running at the same time within one namespace (Docker: one host); default: no limit.',
  }),
  interval: duration.default('5m').meta({ description: 'How often `watch` looks for updates.' }),
});

/** `watch`: how often the daemon looks for updates (daemon issue 6). */
const watch = z
  .strictObject({
    interval: duration
      .optional()
      .meta({ description: 'Time between rounds of the daemon; default: orchestrator.interval.' }),
    jitter: z
      .string()
      .regex(/^\d+(\.\d+)?%$/, 'expected a percentage such as 10%')
      .default('10%')
      .meta({ description: 'Random spread of each interval, in percent of it (10% of 5m: ±30s).' }),
    approvalTimeout: duration
      .default('24h')
      .meta({ description: 'How long an approval request stays open before it expires.' }),
  })
  .meta({ description: 'The daemon (`safe-updater watch`).' });

/** `server`: the daemon's HTTP server (daemon issue 6). */
const server = z
  .strictObject({
    listen: z
      .string()
      .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:8080')
      .default('127.0.0.1:8080')
      .meta({ description: 'host:port the HTTP server listens on.' }),
    tokens: z
      .array(z.string().min(16))
      .default([])
      .meta({ description: 'Bearer tokens of the REST API; prefer tokenEnv.' }),
    tokenEnv: z
      .string()
      .optional()
      .meta({ description: 'Environment variable holding API tokens (comma-separated).' }),
    webhookSecret: z
      .string()
      .optional()
      .meta({ description: 'Shared secret of POST /hooks/registry; prefer webhookSecretEnv.' }),
    webhookSecretEnv: z
      .string()
      .optional()
      .meta({ description: 'Environment variable holding the registry webhook secret.' }),
    webhookHmacSecretEnv: z
      .string()
      .optional()
      .meta({ description: 'Environment variable holding an HMAC-SHA256 key for signed webhooks.' }),
  })
  .meta({ description: 'The HTTP server of `watch --listen` and `serve`.' });

const checkCommon = {
  timeout: duration.optional(),
  retries: z.int().min(0).optional(),
  interval: duration.optional(),
};

export const healthCheckSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('http'),
    url: z.url(),
    method: z.string().optional(),
    expectStatus: z.array(z.int().min(100).max(599)).optional(),
    expectBody: z.string().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    insecureSkipVerify: z.boolean().optional(),
    ...checkCommon,
  }),
  z.strictObject({
    type: z.literal('tcp'),
    host: z.string().min(1),
    port: z.int().min(1).max(65535),
    ...checkCommon,
  }),
  z.strictObject({
    type: z.literal('exec'),
    command: z.array(z.string()).min(1),
    container: z.string().optional(),
    ...checkCommon,
  }),
  z.strictObject({
    type: z.literal('kubernetes'),
    minReadyPercent: z
      .number()
      .min(0)
      .max(100)
      .optional()
      .meta({ description: 'Ready replicas needed, in percent; default 100.' }),
    ...checkCommon,
  }),
]);

/** shoutrrr-style URL schemes (containrrr/shoutrrr, as Watchtower uses them) and the channel type each names. */
const SHOUTRRR_TYPES: Record<string, 'slack' | 'discord' | 'teams' | 'webhook'> = {
  'slack:': 'slack',
  'discord:': 'discord',
  'teams:': 'teams',
  'generic:': 'webhook',
  'generic+http:': 'webhook',
  'generic+https:': 'webhook',
};

/** `type` may be left out for a shoutrrr URL; after parsing it is always set. */
const notification = z
  .strictObject({
    type: z.enum(['slack', 'discord', 'teams', 'webhook']).optional().meta({
      description: 'Channel type; may be left out when the URL is a shoutrrr URL (slack://, teams://, …).',
    }),
    url: z.url().meta({
      description: 'Webhook URL, or a shoutrrr URL: slack://, discord://, teams://, generic+https://',
    }),
    events: z
      .array(z.enum(NOTIFICATION_EVENTS))
      .default([])
      .meta({ description: 'Event types to send (e.g. update.rolled-back); empty means all.' }),
    level: z.enum(['info', 'warning', 'error']).default('info').meta({
      description:
        'The quietest events sent: info (all), warning (failed, rolled back, needs approval), error (rollback failed, loop detected).',
    }),
    headers: z.record(z.string(), z.string()).optional(),
  })
  .transform((entry, ctx) => {
    const type = entry.type ?? SHOUTRRR_TYPES[entry.url.slice(0, entry.url.indexOf(':') + 1).toLowerCase()];
    if (type === undefined) {
      ctx.issues.push({
        code: 'custom',
        path: ['url'],
        input: entry.url,
        message: `expected a type (slack, discord, teams, webhook) or a shoutrrr URL (${Object.keys(
          SHOUTRRR_TYPES,
        )
          .map((scheme) => `${scheme}//`)
          .join(', ')})`,
      });
      return z.NEVER;
    }
    return { ...entry, type };
  });

const assetSource = z.union(
  [
    z.strictObject({ helmRepo: z.url(), chart: z.string().min(1) }),
    z.strictObject({ oci: z.string().regex(/^oci:\/\//, 'expected oci://registry/path/chart') }),
    z.strictObject({ image: z.string().min(1) }),
  ],
  { error: 'expected { helmRepo, chart }, { oci } or { image }' },
);

const assetEntry = z.strictObject({
  id: z
    .string()
    .regex(
      /^(helm|k8s|docker)\/.+/,
      'expected an asset id: helm/NS/RELEASE, k8s/NS/KIND/NAME/container/C or docker/HOST/NAME',
    )
    .meta({ description: 'Asset id, e.g. helm/default/web.' }),
  source: assetSource.optional().meta({ description: 'Where newer versions come from.' }),
  policy: z.string().optional().meta({ description: 'Policy name; default: defaultPolicy.' }),
  healthChecks: z.array(z.string()).default([]).meta({ description: 'Names from healthChecks.' }),
  monitorOnly: z.boolean().default(false),
});

export const configSchema = z
  .strictObject({
    $schema: z.string().optional(),
    state: z.string().min(1).default(DEFAULT_STATE_URL).meta({
      description:
        'Journal URL: sqlite://PATH, sqlite::memory: or postgres://user:pw@host:port/db?schema=NAME.',
    }),
    kubernetes: kubernetes.prefault({}),
    helm: helm.prefault({}),
    docker: docker.prefault({}),
    registries: z.array(registry).default([]),
    registriesAuth: registriesAuth.prefault({}),
    policies: z.record(z.string(), policySchema).default({}),
    defaultPolicy: z.string().default('minor'),
    rollback: rollback.prefault({}),
    orchestrator: orchestrator.prefault({}),
    watch: watch.prefault({}),
    server: server.prefault({}),
    healthChecks: z.record(z.string(), healthCheckSchema).default({}),
    notifications: z.array(notification).default([]),
    assets: z.array(assetEntry).default([]),
  })
  .meta({ title: 'safe-updater configuration', description: 'safe-updater.yaml' });

export type Config = z.infer<typeof configSchema>;
export type PolicyConfig = z.infer<typeof policySchema>;
export type HealthCheckConfig = z.infer<typeof healthCheckSchema>;
export type AssetConfig = Config['assets'][number];
export type RegistryConfig = Config['registries'][number];
export type NotificationConfig = Config['notifications'][number];
