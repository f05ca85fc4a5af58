import { describe, expect, it } from 'vitest';
import { ScriptedUpdater, failing, testAsset } from '../../test/support/scripted-updater.js';
import { SteppingClock } from '../../test/support/stepping-clock.js';
import type { HealthCheckSpec } from '../core/model.js';
import type { CheckReport, HealthChecker } from './checker.js';
import { createVerifier } from './verifier.js';

const check: HealthCheckSpec = { name: 'web-http', type: 'http', url: 'http://127.0.0.1:1/healthz' };

/** A checker whose answers the test scripts, one per look; it records the looks. */
function scriptedChecker(answers: boolean[]): HealthChecker & { looks: number } {
  const checker = {
    looks: 0,
    async run(spec: HealthCheckSpec): Promise<CheckReport> {
      const ok = answers[Math.min(checker.looks, answers.length - 1)] ?? true;
      checker.looks += 1;
      return {
        name: spec.name,
        type: spec.type,
        ok,
        transient: false,
        message: ok ? 'status 200' : 'status 404',
        attempts: 1,
      };
    },
    async runAll(specs: readonly HealthCheckSpec[]): Promise<CheckReport[]> {
      return Promise.all(specs.map((spec) => checker.run(spec)));
    },
  };
  return checker;
}

function request(updater: ScriptedUpdater, full = true) {
  return {
    updater,
    asset: testAsset('1.1.0', { healthChecks: [check] }),
    target: { version: '1.1.0' },
    facts: {},
    ctx: { timeoutMs: 30_000 },
    full,
  };
}

describe('verifier', () => {
  it('fails on a configured check although the rollout is healthy, naming the check', async () => {
    const clock = new SteppingClock();
    const checker = scriptedChecker([false]);
    const status = await createVerifier({ clock, checker, monitorMs: 0 }).verify(
      request(new ScriptedUpdater('1.1.0')),
    );
    expect(status.verdict).toBe('failed');
    expect(status.signal).toBe('http check web-http failed after 1 attempt: status 404');
  });

  it('does not run the checks when the rollout itself failed', async () => {
    const clock = new SteppingClock();
    const checker = scriptedChecker([true]);
    const updater = new ScriptedUpdater('1.1.0', {
      health: { '1.1.0': failing('ImagePullBackOff in pod web-1') },
    });
    const status = await createVerifier({ clock, checker, monitorMs: 10_000 }).verify(request(updater));
    expect(status.signal).toBe('ImagePullBackOff in pod web-1');
    expect(checker.looks).toBe(0);
  });

  it('looks again during the monitor window and fails on a check that breaks late', async () => {
    const clock = new SteppingClock();
    const checker = scriptedChecker([true, true, false]);
    const status = await createVerifier({
      clock,
      checker,
      monitorMs: 10_000,
      monitorIntervalMs: 2_000,
    }).verify(request(new ScriptedUpdater('1.1.0')));
    expect(status.verdict).toBe('failed');
    expect(checker.looks).toBe(3);
    expect(clock.sleeps).toEqual([2_000, 2_000]);
  });

  it('skips checks and the monitor window when only confirming (full: false)', async () => {
    const clock = new SteppingClock();
    const checker = scriptedChecker([false]);
    const status = await createVerifier({ clock, checker, monitorMs: 10_000 }).verify(
      request(new ScriptedUpdater('1.1.0'), false),
    );
    expect(status.verdict).toBe('healthy');
    expect(checker.looks).toBe(0);
    expect(clock.sleeps).toEqual([]);
  });

  it('turns a degraded end state into a failure with the reason in words', async () => {
    const clock = new SteppingClock();
    const degraded = {
      ...failing('x'),
      verdict: 'degraded' as const,
      signal: undefined,
      message: '1/2 replicas ready',
    };
    const updater = new ScriptedUpdater('1.1.0', { health: { '1.1.0': degraded } });
    const status = await createVerifier({ clock, checker: scriptedChecker([true]), monitorMs: 0 }).verify(
      request(updater),
    );
    expect(status).toMatchObject({
      verdict: 'failed',
      signal: 'not healthy within 30 s: 1/2 replicas ready',
    });
  });
});
