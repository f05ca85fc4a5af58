import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { openJournal } from '../state/journal.js';
import { NOTIFICATION_EVENTS, createOutboxNotifier, wants } from './notifier.js';

describe('channel filters', () => {
  it('sends everything at level info, failures and approvals at warning, only what needs a person at error', () => {
    const at = (level: 'info' | 'warning' | 'error') =>
      NOTIFICATION_EVENTS.filter((event) => wants({ type: 'webhook', level }, event));
    expect(at('info')).toEqual([...NOTIFICATION_EVENTS]);
    expect(at('warning').sort()).toEqual(
      [
        'update.failed',
        'update.manual-rollback',
        'update.needs-approval',
        'update.rollback-failed',
        'update.loop-detected',
        'update.rolled-back',
      ].sort(),
    );
    expect(at('error').sort()).toEqual(['update.loop-detected', 'update.rollback-failed']);
  });

  it('applies the event list and the level together', () => {
    const channel = {
      type: 'slack',
      events: ['update.succeeded', 'update.rolled-back'],
      level: 'warning' as const,
    };
    expect(wants(channel, 'update.rolled-back')).toBe(true);
    expect(wants(channel, 'update.succeeded')).toBe(false);
    expect(wants(channel, 'update.failed')).toBe(false);
  });

  it('queues one redacted outbox message per channel that wants the event', async () => {
    const clock = new ManualClock(new Date('2026-03-01T10:00:00Z'));
    const journal = await openJournal('sqlite::memory:', { clock });
    await journal.migrate();
    try {
      const notifier = createOutboxNotifier({
        journal,
        clock,
        channels: [
          { type: 'slack' },
          { type: 'webhook', level: 'error' },
          { type: 'teams', events: ['update.started'] },
        ],
      });
      await notifier.notify('update.rolled-back', { assetId: 'helm/a/b', password: 'hunter2' });
      const due = await journal.dueNotifications(new Date('2100-01-01T00:00:00Z'), 10);
      expect(due.map((m) => [m.channel, m.event])).toEqual([['slack#0', 'update.rolled-back']]);
      expect(JSON.stringify(due[0]?.payload)).not.toContain('hunter2');
    } finally {
      await journal.close();
    }
  });
});
