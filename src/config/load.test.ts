import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { closest, ConfigValidationError, levenshtein, loadConfig, parseConfig } from './load.js';
import { STARTER_CONFIG } from './starter.js';

const context = { cwd: '/nowhere', env: { REGISTRY_PW: 's3cret', HOOK: 'https://hooks.example.com/x' } };

function problemsOf(text: string): string[] {
  try {
    parseConfig(text, 'su.yaml', context);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems.map((p) => p.text);
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('parseConfig', () => {
  it('fills defaults for an empty file', () => {
    const config = parseConfig('', 'su.yaml', context);
    expect(config.state).toBe('sqlite://.safe-updater/state.db');
    expect(config.rollback).toMatchObject({
      monitor: '30s',
      failureThreshold: 3,
      maxRollbacks: 3,
      window: '1h',
    });
    expect(config.helm).toMatchObject({ binary: 'helm', timeout: '5m', historyMax: 10 });
    expect(config.orchestrator.maxConcurrent).toBe(2);
  });

  it('accepts the starter configuration init writes', () => {
    const config = parseConfig(STARTER_CONFIG, 'safe-updater.yaml', context);
    expect(config.policies.careful?.approve).toEqual(['major']);
    expect(config.healthChecks['web-http']).toMatchObject({ type: 'http', expectStatus: [200] });
  });

  it('places a misspelt key at its line and column with a suggestion', () => {
    expect(problemsOf('helm:\n  binary: helm\n  timout: 5m\n')).toEqual([
      'su.yaml:3:3: helm.timout: unknown key "timout"; did you mean "timeout"?',
    ]);
  });

  it('suggests keys inside the right kind of health check', () => {
    expect(problemsOf('healthChecks:\n  db:\n    type: tcp\n    host: h\n    prot: 5432\n')).toEqual([
      'su.yaml:3:5: healthChecks.db.port: missing required key (expected a number)',
      'su.yaml:5:5: healthChecks.db.prot: unknown key "prot"; did you mean "port"?',
    ]);
  });

  it('names what was expected and what was found', () => {
    expect(
      problemsOf('orchestrator:\n  maxConcurrent: two\nrollback:\n  monitor: 5x\nhelm:\n  driver: disk\n'),
    ).toEqual([
      'su.yaml:2:18: orchestrator.maxConcurrent: expected a number; got "two"',
      'su.yaml:4:12: rollback.monitor: expected a duration such as 250ms, 30s, 5m or 1h; got "5x"',
      'su.yaml:6:11: helm.driver: expected "secret" | "configmap" | "sql" | "memory"; got "disk"',
    ]);
  });

  it('reports broken YAML at its position', () => {
    const [problem, ...rest] = problemsOf('helm:\n  binary: [helm\nstate: x\n');
    expect(problem).toMatch(/^su\.yaml:\d+:\d+: .+/);
    expect(rest.every((p) => /^su\.yaml:\d+:\d+: /.test(p))).toBe(true);
  });

  it('reports a duplicate key', () => {
    expect(problemsOf('defaultPolicy: patch\ndefaultPolicy: minor\n')[0]).toMatch(
      /^su\.yaml:2:1: .*[Mm]ap keys must be unique/,
    );
  });

  it('checks references from assets to policies and health checks at their lines', () => {
    const text = [
      'policies:',
      '  careful: { allow: [patch] }',
      'healthChecks:',
      '  web: { type: http, url: "http://127.0.0.1:8080/healthz" }',
      'assets:',
      '  - id: helm/default/web',
      '    policy: carefull',
      '    healthChecks: [web, wbe]',
      '  - id: helm/default/web',
      '    policy: patch',
      'defaultPolicy: nightly',
    ].join('\n');
    expect(problemsOf(text)).toEqual([
      'su.yaml:7:13: assets[0].policy: unknown policy "carefull"; did you mean "careful"?',
      'su.yaml:8:25: assets[0].healthChecks[1]: unknown health check "wbe"; did you mean "web"?',
      'su.yaml:9:9: assets[1].id: duplicate asset id "helm/default/web" (also assets[0])',
      'su.yaml:11:16: defaultPolicy: unknown policy "nightly"; expected one of all, major, minor, patch, none, careful',
    ]);
  });

  it('checks windows, pins and the state URL', () => {
    const text = [
      'state: mysql://db',
      'policies:',
      '  p:',
      '    pin: "not a range"',
      '    windows: [{ cron: "61 * * * *", timezone: Mars/Olympus }]',
    ].join('\n');
    const problems = problemsOf(text);
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/^su\.yaml:1:8: state: expected sqlite/);
    expect(problems[1]).toMatch(/^su\.yaml:4:10: policies\.p\.pin: expected a semver range/);
    expect(problems[2]).toMatch(
      /^su\.yaml:5:23: policies\.p\.windows\[0\]\.cron: expected a cron expression/,
    );
    expect(problems[3]).toMatch(
      /^su\.yaml:5:47: policies\.p\.windows\[0\]\.timezone: expected an IANA time zone/,
    );
  });

  it('checks a policy schedule, accepting durations, @every and cron', () => {
    expect(problemsOf('policies:\n  p:\n    schedule: "every so often"\n')).toEqual([
      'su.yaml:3:15: policies.p.schedule: expected \'@every 10m\', a duration such as 10m, or a cron expression; got "every so often"',
    ]);
    for (const schedule of ['"@every 10m"', '90s', '"*/15 * * * *"', '"@hourly"']) {
      const config = parseConfig(`policies:\n  p:\n    schedule: ${schedule}\n`, 'su.yaml', context);
      expect(config.policies.p?.schedule).toBeDefined();
    }
  });

  it('explains an asset source that fits none of the forms, and the closest one', () => {
    expect(problemsOf('assets:\n  - id: helm/a/b\n    source: { repo: x }\n')).toEqual([
      'su.yaml:3:13: assets[0].source: expected { helmRepo, chart }, { oci } or { image }; got a mapping with keys repo',
    ]);
    expect(problemsOf('assets:\n  - id: helm/a/b\n    source: { helmRepo: "http://c" }\n')).toEqual([
      'su.yaml:3:13: assets[0].source.chart: missing required key (expected a string)',
    ]);
  });

  it('resolves ${VAR} references and passwordEnv, and reports unset variables at their line', () => {
    const config = parseConfig(
      'registries:\n  - host: r\n    username: u\n    passwordEnv: REGISTRY_PW\nnotifications:\n  - { type: webhook, url: "${HOOK}" }\n',
      'su.yaml',
      context,
    );
    expect(config.registries[0]?.password).toBe('s3cret');
    expect(config.notifications[0]?.url).toBe('https://hooks.example.com/x');
    expect(problemsOf('registries:\n  - host: r\n    passwordEnv: MISSING_PW\n')).toEqual([
      'su.yaml:3:18: registries[0].passwordEnv: environment variable MISSING_PW is not set',
    ]);
    expect(problemsOf('notifications:\n  - { type: slack, url: "${NO_HOOK}" }\n')).toEqual([
      'su.yaml:2:25: notifications[0].url: environment variable NO_HOOK is not set',
    ]);
  });

  it('takes the channel type from a shoutrrr URL, and wants one of the two', () => {
    const config = parseConfig(
      'notifications:\n  - url: teams://group@tenant/altId/groupOwner\n',
      'su.yaml',
      context,
    );
    expect(config.notifications[0]?.type).toBe('teams');
    expect(problemsOf('notifications:\n  - url: https://hooks.example.com/x\n')).toEqual([
      expect.stringMatching(
        /^su\.yaml:2:10: notifications\[0\]\.url: expected a type \(slack, discord, teams, webhook\) or a shoutrrr URL/,
      ) as unknown as string,
    ]);
  });

  it('refuses more than one source of a registry password', () => {
    expect(problemsOf('registries:\n  - { host: r, password: a, passwordEnv: REGISTRY_PW }\n')).toEqual([
      'su.yaml:2:5: registries[0]: expected at most one of password, passwordEnv, passwordFile; got a mapping with keys host, password, passwordEnv',
    ]);
  });
});

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'safe-updater-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('uses defaults when the default file is missing', async () => {
    const loaded = await loadConfig('safe-updater.yaml', { explicit: false, cwd: dir });
    expect(loaded.path).toBeUndefined();
    expect(loaded.config.defaultPolicy).toBe('minor');
  });

  it('refuses a missing file the user named', async () => {
    await expect(loadConfig('missing.yaml', { explicit: true, cwd: dir })).rejects.toThrow(ConfigError);
  });

  it('reads a password file relative to the working directory', async () => {
    writeFileSync(join(dir, 'pw.txt'), 'from-file\n');
    writeFileSync(join(dir, 'su.yaml'), 'registries:\n  - { host: r, username: u, passwordFile: pw.txt }\n');
    const { config } = await loadConfig('su.yaml', { explicit: true, cwd: dir, env: {} });
    expect(config.registries[0]?.password).toBe('from-file');
  });
});

describe('did you mean', () => {
  it('measures edit distance', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('same', 'same')).toBe(0);
  });

  it('suggests only near keys', () => {
    expect(closest('namespace', ['namespaces', 'context'])).toBe('namespaces');
    expect(closest('zzzz', ['namespaces', 'context'])).toBeUndefined();
  });
});
