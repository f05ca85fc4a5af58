import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { REDACTED } from '../../src/core/redact.js';
import { createDeliverer, PARKED_UNTIL, type DeliveryChannel } from '../../src/notify/deliver.js';
import { createOutboxNotifier } from '../../src/notify/notifier.js';
import { openJournal } from '../../src/state/journal.js';
import type { Journal, OutboxMessage } from '../../src/state/types.js';
import { WebhookReceiver } from './receiver.js';

const BASE_MS = 5_000;
const WINDOW_MS = 2_000;

let receiver: WebhookReceiver;
let clock: ManualClock;
let journal: Journal;

beforeEach(async () => {
  receiver = new WebhookReceiver();
  await receiver.start();
  clock = new ManualClock(new Date('2026-05-01T10:00:00Z'));
  journal = await openJournal('sqlite::memory:', { clock });
  await journal.migrate();
});

afterEach(async () => {
  await receiver.stop();
  await journal.close();
});

/** Every message not delivered yet, parked ones included. */
async function undelivered(): Promise<OutboxMessage[]> {
  return journal.dueNotifications(new Date('9999-12-31T23:59:59Z'), 100);
}

async function onlyMessage(): Promise<OutboxMessage | undefined> {
  const messages = await undelivered();
  expect(messages).toHaveLength(1);
  return messages[0];
}

function setup(channels: DeliveryChannel[], maxAttempts = 20) {
  const notifier = createOutboxNotifier({
    journal,
    clock,
    channels: channels.map((channel) => ({ type: channel.type ?? 'webhook' })),
  });
  const deliverer = createDeliverer({
    journal,
    clock,
    channels,
    batchWindowMs: WINDOW_MS,
    backoff: { baseMs: BASE_MS, maxMs: 60_000, maxAttempts },
    timeoutMs: 10_000,
  });
  return { notifier, deliverer };
}

const payload = (to: string) => ({
  assetId: 'helm/default/web',
  updateId: 'u1',
  from: '1.0.0',
  to,
  state: 'succeeded',
  reason: null,
});

describe('notification delivery to a real webhook receiver', () => {
  it('batches the events of one run into one request, with secrets redacted', async () => {
    const { notifier, deliverer } = setup([{ type: 'webhook', url: `${receiver.url}/hook` }]);
    await notifier.notify('update.started', payload('1.1.0'));
    clock.advance(500);
    await notifier.notify('update.succeeded', {
      ...payload('1.1.0'),
      registryPassword: 'hunter2',
      reason: 'pulled from https://bob:s3cret@registry.example/v2/',
    });
    expect(await deliverer.drainOnce()).toMatchObject({ delivered: 0, waiting: 2 });
    expect(receiver.received).toHaveLength(0);

    clock.advance(WINDOW_MS);
    expect(await deliverer.drainOnce()).toMatchObject({ delivered: 2, retrying: 0 });
    expect(receiver.received).toHaveLength(1);
    const [request] = receiver.received;
    expect(request?.path).toBe('/hook');
    expect(request?.headers['content-type']).toBe('application/json');
    const body = request?.body as { source: string; events: Record<string, unknown>[] };
    expect(body.source).toBe('safe-updater');
    expect(body.events.map((event) => event.event)).toEqual(['update.started', 'update.succeeded']);
    expect(body.events[1]?.registryPassword).toBe(REDACTED);
    expect(JSON.stringify(body)).not.toContain('hunter2');
    expect(JSON.stringify(body)).not.toContain('s3cret');
    expect(body.events[1]?.text).toBe(
      `✅ helm/default/web 1.0.0 → 1.1.0: updated (pulled from https://bob:${REDACTED}@registry.example/v2/)`,
    );
    expect(await undelivered()).toEqual([]);
  });

  it('retries a 500 with exponential backoff and delivers once the receiver recovers', async () => {
    receiver.answers.push({ status: 500 }, { status: 503 });
    const { notifier, deliverer } = setup([{ type: 'webhook', url: receiver.url }]);
    await notifier.notify('update.rolled-back', payload('1.2.0'));
    clock.advance(WINDOW_MS);

    expect(await deliverer.drainOnce()).toMatchObject({ retrying: 1 });
    let message = await onlyMessage();
    expect(message?.lastError).toBe('webhook#0: HTTP 500 Internal Server Error');
    expect(message?.nextAttemptAt.getTime()).toBe(clock.now().getTime() + BASE_MS);

    // Not due yet: nothing is sent.
    clock.advance(BASE_MS - 1);
    expect(await deliverer.drainOnce()).toMatchObject({ retrying: 0, delivered: 0 });
    expect(receiver.received).toHaveLength(1);

    clock.advance(1);
    expect(await deliverer.drainOnce()).toMatchObject({ retrying: 1 });
    message = await onlyMessage();
    expect(message?.attempts).toBe(2);
    expect(message?.nextAttemptAt.getTime()).toBe(clock.now().getTime() + 2 * BASE_MS);

    clock.advance(2 * BASE_MS);
    expect(await deliverer.drainOnce()).toMatchObject({ delivered: 1 });
    expect(receiver.received).toHaveLength(3);
    expect(await undelivered()).toEqual([]);
  });

  it('does not retry a permanent 4xx forever: the message is parked with its error', async () => {
    receiver.answers.push({ status: 404 });
    const { notifier, deliverer } = setup([{ type: 'webhook', url: receiver.url }]);
    await notifier.notify('update.failed', payload('2.0.0'));
    clock.advance(WINDOW_MS);
    expect(await deliverer.drainOnce()).toMatchObject({ parked: 1 });
    for (let hour = 0; hour < 48; hour += 1) {
      clock.advance(3_600_000);
      expect(await deliverer.drainOnce()).toMatchObject({ delivered: 0, retrying: 0, parked: 0 });
    }
    expect(receiver.received).toHaveLength(1);
    expect(await onlyMessage()).toMatchObject({
      deliveredAt: null,
      nextAttemptAt: PARKED_UNTIL,
      lastError: 'webhook#0: HTTP 404 Not Found (not retried)',
    });
  });

  it('keeps a message through an outage (connection refused) and delivers it when the receiver is back', async () => {
    const { notifier, deliverer } = setup([{ type: 'webhook', url: `${receiver.url}/x` }]);
    await receiver.stop();
    await notifier.notify('update.succeeded', payload('1.1.0'));
    clock.advance(WINDOW_MS);
    expect(await deliverer.drainOnce()).toMatchObject({ retrying: 1 });
    const refused = await onlyMessage();
    expect(refused?.lastError).toBe('webhook#0: ECONNREFUSED');
    expect(refused?.lastError).not.toContain(String(receiver.port));

    await receiver.start();
    clock.advance(BASE_MS);
    expect(await deliverer.drainOnce()).toMatchObject({ delivered: 1 });
    expect(receiver.received).toHaveLength(1);
  });

  it('honours Retry-After on 429 and gives up after maxAttempts', async () => {
    receiver.answers.push({ status: 429, headers: { 'retry-after': '120' } }, { status: 502 });
    const { notifier, deliverer } = setup([{ type: 'webhook', url: receiver.url }], 2);
    await notifier.notify('update.succeeded', payload('1.1.0'));
    clock.advance(WINDOW_MS);
    await deliverer.drainOnce();
    expect((await onlyMessage())?.nextAttemptAt.getTime()).toBe(clock.now().getTime() + 120_000);
    clock.advance(120_000);
    expect(await deliverer.drainOnce()).toMatchObject({ parked: 1 });
    expect((await onlyMessage())?.lastError).toBe(
      'webhook#0: HTTP 502 Bad Gateway (gave up after 2 attempts)',
    );
  });

  it('speaks Slack, Discord and Teams, one request per channel, with configured headers', async () => {
    const { notifier, deliverer } = setup([
      { type: 'slack', url: `${receiver.url}/slack` },
      { type: 'discord', url: `${receiver.url}/discord`, headers: { 'x-extra': 'yes' } },
      { type: 'teams', url: `${receiver.url}/teams` },
    ]);
    await notifier.notify('update.rolled-back', { ...payload('1.2.0'), reason: 'CrashLoopBackOff' });
    await notifier.notify('update.loop-detected', payload('1.2.0'));
    clock.advance(WINDOW_MS);
    expect(await deliverer.drainOnce()).toMatchObject({ delivered: 6 });
    const byPath = new Map(receiver.received.map((request) => [request.path, request]));
    expect(receiver.received).toHaveLength(3);
    const rolledBack = '↩️ helm/default/web 1.0.0 → 1.2.0: rolled back (CrashLoopBackOff)';
    const loop = '🔁 helm/default/web 1.0.0 → 1.2.0: rollback loop — asset paused';
    expect(byPath.get('/slack')?.body).toEqual({ text: `${rolledBack}\n${loop}` });
    expect(byPath.get('/discord')?.body).toEqual({ content: `${rolledBack}\n${loop}` });
    expect(byPath.get('/discord')?.headers['x-extra']).toBe('yes');
    expect(byPath.get('/teams')?.body).toMatchObject({
      '@type': 'MessageCard',
      summary: 'safe-updater: 2 events',
      sections: [{ text: rolledBack }, { text: loop }],
    });
  });
});
