/**
 * A scripted Updater for unit tests of the pure workflow logic: a live "asset" that is one version at a
 * time, whose health per version the test decides, with failures injectable at each step. Each call is
 * recorded so tests can assert the order of actions.
 */
import { SafeUpdaterError } from '../../src/core/errors.js';
import type { Asset, HealthStatus } from '../../src/core/model.js';
import type { DryRunResult, UpdateContext, UpdateTarget, Updater } from '../../src/updaters/types.js';

export function healthy(message = '1/1 replicas ready'): HealthStatus {
  return {
    healthy: true,
    verdict: 'healthy',
    readyReplicas: 1,
    totalReplicas: 1,
    healthPercentage: 100,
    checksPassed: ['rollout'],
    checksFailed: [],
    message,
  };
}

export function failing(signal: string): HealthStatus {
  return {
    healthy: false,
    verdict: 'failed',
    readyReplicas: 0,
    totalReplicas: 1,
    healthPercentage: 0,
    checksPassed: [],
    checksFailed: ['rollout'],
    message: signal,
    signal,
  };
}

export interface UpdaterScript {
  /** Health per live version; healthy when absent. A list is consumed one look at a time (last repeats). */
  health?: Record<string, HealthStatus | HealthStatus[]>;
  validateError?: Error;
  applyError?: Error;
  /** Apply fails after the change took effect (the live version moves anyway). */
  applyErrorAfterChange?: Error;
  rollbackError?: Error;
}

export function testAsset(version: string, overrides: Partial<Asset> = {}): Asset {
  return {
    id: 'helm/demo/web',
    kind: 'helm',
    name: 'web',
    namespace: 'demo',
    current: { version },
    labels: {},
    annotations: {},
    policy: 'minor',
    healthChecks: [],
    ...overrides,
  };
}

export class ScriptedUpdater implements Updater {
  readonly kind = 'helm' as const;
  readonly calls: string[] = [];
  /** Called at the start of every call, e.g. to read the journal at that moment. */
  observe?: (call: string) => Promise<void> | void;
  live: string;
  private looks = new Map<string, number>();

  constructor(
    initial: string,
    public script: UpdaterScript = {},
  ) {
    this.live = initial;
  }

  private async record(call: string): Promise<void> {
    this.calls.push(call);
    await this.observe?.(call);
  }

  async refresh(asset: Asset): Promise<Asset> {
    await this.record('refresh');
    return { ...asset, current: { version: this.live } };
  }
  async validate(_asset: Asset, target: UpdateTarget): Promise<void> {
    await this.record(`validate ${target.version}`);
    if (this.script.validateError) throw this.script.validateError;
  }
  async prepare(asset: Asset): Promise<Record<string, unknown>> {
    await this.record('prepare');
    return { previous: asset.current.version };
  }
  async dryRun(asset: Asset, target: UpdateTarget): Promise<DryRunResult> {
    await this.record(`dryRun ${target.version}`);
    return { summary: `${asset.current.version} → ${target.version}` };
  }
  async apply(_asset: Asset, target: UpdateTarget): Promise<void> {
    await this.record(`apply ${target.version}`);
    if (this.script.applyError) throw this.script.applyError;
    this.live = target.version;
    if (this.script.applyErrorAfterChange) throw this.script.applyErrorAfterChange;
  }
  async verify(
    _asset: Asset,
    target: UpdateTarget,
    _facts: Record<string, unknown>,
    _ctx: UpdateContext,
  ): Promise<HealthStatus> {
    await this.record(`verify ${target.version}`);
    const script = this.script.health?.[this.live];
    if (!script) return healthy();
    if (!Array.isArray(script)) return script;
    const look = this.looks.get(this.live) ?? 0;
    this.looks.set(this.live, look + 1);
    return script[Math.min(look, script.length - 1)] as HealthStatus;
  }
  async rollback(_asset: Asset, facts: Record<string, unknown>): Promise<void> {
    const to = String(facts.previous ?? facts.revisionVersion);
    await this.record(`rollback ${to}`);
    if (this.script.rollbackError) throw this.script.rollbackError;
    this.live = to;
  }
  async cleanup(): Promise<void> {
    await this.record('cleanup');
  }
  async locate(
    _asset: Asset,
    target: UpdateTarget,
    facts: Record<string, unknown>,
  ): Promise<'target' | 'previous' | 'unknown'> {
    await this.record('locate');
    if (this.live === target.version) return 'target';
    if (this.live === facts.previous) return 'previous';
    return 'unknown';
  }
}

export class ScriptError extends SafeUpdaterError {}
