import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { dependencies, isEnabled, isMonitorOnly, lifecycleHook, policyLabel } from './labels.js';

describe('container labels', () => {
  it('opts in by our label or Watchtower’s, and an explicit false always opts out', () => {
    expect(isEnabled({ 'safe-updater.io/enable': 'true' }, false)).toBe(true);
    expect(isEnabled({ 'com.centurylinklabs.watchtower.enable': 'true' }, false)).toBe(true);
    expect(isEnabled({}, false)).toBe(false);
    expect(isEnabled({}, true)).toBe(true);
    expect(isEnabled({ 'com.centurylinklabs.watchtower.enable': 'false' }, true)).toBe(false);
    expect(
      isEnabled({ 'safe-updater.io/enable': 'true', 'com.centurylinklabs.watchtower.enable': 'false' }, true),
    ).toBe(false);
  });

  it('reads monitor-only and the policy, ours before Keel’s', () => {
    expect(isMonitorOnly({ 'com.centurylinklabs.watchtower.monitor-only': 'true' })).toBe(true);
    expect(isMonitorOnly({ 'safe-updater.io/monitor-only': 'false' })).toBe(false);
    expect(policyLabel({ 'safe-updater.io/policy': 'patch', 'keel.sh/policy': 'major' })).toBe('patch');
    expect(policyLabel({ 'keel.sh/policy': 'major' })).toBe('major');
    expect(policyLabel({})).toBeUndefined();
  });

  it('collects dependencies from depends-on labels and the network peer, without duplicates', () => {
    expect(
      dependencies(
        { 'com.centurylinklabs.watchtower.depends-on': '/db, cache', 'safe-updater.io/depends-on': 'db' },
        'vpn',
      ),
    ).toEqual(['db', 'cache', 'vpn']);
  });

  it('runs a string hook through sh -c and a JSON array as an argument vector, with timeouts', () => {
    expect(
      lifecycleHook({ 'com.centurylinklabs.watchtower.lifecycle.pre-update': '/dump.sh now' }, 'pre-update'),
    ).toEqual({
      command: ['sh', '-c', '/dump.sh now'],
      timeoutMs: 60_000,
      label: 'com.centurylinklabs.watchtower.lifecycle.pre-update',
    });
    expect(
      lifecycleHook(
        {
          'com.centurylinklabs.watchtower.lifecycle.pre-update': 'x',
          'com.centurylinklabs.watchtower.lifecycle.pre-update-timeout': '2',
          'safe-updater.io/pre-update': '["/bin/true", "a b"]',
          'safe-updater.io/hook-timeout': '5s',
        },
        'pre-update',
      ),
    ).toEqual({ command: ['/bin/true', 'a b'], timeoutMs: 5_000, label: 'safe-updater.io/pre-update' });
    expect(
      lifecycleHook(
        {
          'com.centurylinklabs.watchtower.lifecycle.post-update': 'x',
          'com.centurylinklabs.watchtower.lifecycle.post-update-timeout': '2',
        },
        'post-update',
      )?.timeoutMs,
    ).toBe(120_000);
    expect(lifecycleHook({}, 'post-update')).toBeUndefined();
  });

  it('rejects a malformed hook label', () => {
    expect(() => lifecycleHook({ 'safe-updater.io/pre-update': '[1, 2]' }, 'pre-update')).toThrow(
      ConfigError,
    );
    expect(() =>
      lifecycleHook(
        { 'safe-updater.io/pre-update': 'x', 'safe-updater.io/hook-timeout': 'soon' },
        'pre-update',
      ),
    ).toThrow(/not a duration/);
  });
});
