import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import type { Asset } from '../core/model.js';
import { annotatedPollSchedule, parsePollSchedule } from './poll-schedule.js';

const at = new Date('2026-03-01T10:07:30Z');

describe('poll schedules', () => {
  it("reads Keel's @every form and bare durations", () => {
    expect(parsePollSchedule('@every 10m', 'x').next(at).toISOString()).toBe('2026-03-01T10:17:30.000Z');
    expect(parsePollSchedule('90s', 'x').next(at).toISOString()).toBe('2026-03-01T10:09:00.000Z');
    expect(parsePollSchedule('1h30m', 'x').next(at).toISOString()).toBe('2026-03-01T11:37:30.000Z');
  });

  it('reads cron expressions and nicknames in the given time zone', () => {
    expect(parsePollSchedule('*/15 * * * *', 'x').next(at).toISOString()).toBe('2026-03-01T10:15:00.000Z');
    expect(parsePollSchedule('@hourly', 'x').next(at).toISOString()).toBe('2026-03-01T11:00:00.000Z');
    expect(parsePollSchedule('0 3 * * *', 'x', 'Europe/Berlin').next(at).toISOString()).toBe(
      '2026-03-02T02:00:00.000Z',
    );
  });

  it('refuses what is neither, naming where it came from', () => {
    expect(() => parsePollSchedule('every ten minutes', "policy 'slow'")).toThrow(ConfigError);
    expect(() => parsePollSchedule('every ten minutes', "policy 'slow'")).toThrow(
      /^policy 'slow': poll schedule/,
    );
    expect(() => parsePollSchedule('@every 10ms', 'x')).toThrow(/shorter than 1s/);
  });

  it("takes an asset's annotation, ours before Keel's, labels too", () => {
    const asset = (annotations: Record<string, string>, labels: Record<string, string> = {}): Asset => ({
      id: 'k8s/shop/deployment/web/container/app',
      kind: 'kubernetes',
      name: 'web',
      namespace: 'shop',
      current: { version: '1.0.0' },
      labels,
      annotations,
      policy: '',
      healthChecks: [],
    });
    expect(annotatedPollSchedule(asset({}))).toBeUndefined();
    expect(annotatedPollSchedule(asset({ 'keel.sh/pollSchedule': '@every 2m' }))?.text).toBe('@every 2m');
    expect(
      annotatedPollSchedule(
        asset({ 'keel.sh/pollSchedule': '@every 2m', 'safe-updater.io/poll-schedule': '@hourly' }),
      )?.text,
    ).toBe('@hourly');
    expect(annotatedPollSchedule(asset({}, { 'safe-updater.io/poll-schedule': '5m' }))?.text).toBe('5m');
    expect(() => annotatedPollSchedule(asset({ 'keel.sh/pollSchedule': 'soon' }))).toThrow(
      /annotation keel.sh\/pollSchedule/,
    );
  });
});
