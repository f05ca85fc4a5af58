/**
 * `safe-updater watch` as a real process notices a NEWLY PUSHED tag — by polling, and by a registry webhook
 * (the update record exists within 2 s of the POST) — updates the Deployment, verifies it and notifies a
 * real webhook receiver on loopback; with the receiver down, the journal's outbox keeps the messages,
 * retries, and delivers each exactly once when the receiver is back on the same port.
 *
 * Each scenario has its own repository on the anonymous registry (holding only 1.0.0 when the daemon
 * starts; newer tags are pushed during the test by ./registry-push.ts), its own namespace and journal.
 * The channel URL and a header carry secrets that must never reach the journal, the log or the payload.
 */
import { readFileSync, existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { PARKED_UNTIL } from '../../src/notify/deliver.js';
import { openJournal } from '../../src/state/journal.js';
import type { OutboxMessage, UpdateRecord } from '../../src/state/types.js';
import {
  clients,
  createNamespace,
  createWorkload,
  deleteNamespace,
  pollUntil,
} from '../kubernetes/cluster.js';
import { waitForDeployment } from '../e2e/support.js';
import { WebhookReceiver } from '../notify/receiver.js';
import {
  API_TOKEN,
  HOOK_SECRET,
  createDaemonWorkspace,
  getJson,
  type DaemonProcess,
  type DaemonWorkspace,
} from './support.js';
import {
  DISTRIBUTION_EVENTS_TYPE,
  deleteRepositoryTags,
  distributionPushEnvelope,
  pushTag,
  testRepository,
  type PushedTag,
} from './registry-push.js';

const kube = clients();
/** In the channel URL's query and in a header: secrets of the receiver, never to be written anywhere. */
const URL_TOKEN = 'notify-url-token-5f3a9c';
const HEADER_SECRET = 'notify-header-secret-8d21e7';
/** Every outbox message not delivered yet (parked ones included). */
const FAR_FUTURE = new Date('9999-12-31T23:59:59Z');

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse())
    await Promise.resolve()
      .then(cleanup)
      .catch(() => undefined);
});

/** An update record as the REST API sends it: dates as ISO strings. */
type UpdateRow = Omit<UpdateRecord, 'createdAt' | 'updatedAt'> & { createdAt: string; updatedAt: string };

interface DeliveredEvent {
  event: string;
  text: string;
  assetId: string;
  updateId: string;
  from: string;
  to: string;
  state: string;
}

interface Scenario {
  namespace: string;
  repository: string;
  assetId: string;
  workspace: DaemonWorkspace;
  daemon: DaemonProcess;
  url: string;
}

async function updatesOf(scenario: Scenario): Promise<UpdateRow[]> {
  const { status, body } = await getJson(
    `${scenario.url}/api/v1/updates?assetId=${encodeURIComponent(scenario.assetId)}`,
    API_TOKEN,
  );
  if (status !== 200) throw new Error(`GET /api/v1/updates answered ${status}: ${JSON.stringify(body)}`);
  return (body as { updates: UpdateRow[] }).updates;
}

/** The daemon's JSON log lines. */
function logRecords(daemon: DaemonProcess): Record<string, unknown>[] {
  return daemon
    .stderr()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/**
 * A Deployment on `repository:1.0.0` (the only tag) under policy minor, and `watch` with a notification
 * channel to `receiverUrl`; returns once the daemon's first check has found nothing to do.
 */
async function startScenario(interval: string, receiverUrl: string): Promise<Scenario> {
  const repository = testRepository('daemon-notify');
  cleanups.push(() => deleteRepositoryTags(repository));
  const first = await pushTag({ repository, tag: '1.0.0' }, '1.0.0');
  const namespace = await createNamespace(kube, 'notify');
  cleanups.push(() => deleteNamespace(kube, namespace));
  await createWorkload(kube, {
    kind: 'Deployment',
    namespace,
    name: 'app',
    image: first.image,
    annotations: { 'safe-updater.io/policy': 'minor' },
  });
  await waitForDeployment(namespace, 'app', '1.0.0');
  const workspace = createDaemonWorkspace([namespace], {
    notifications: [
      {
        url: `${receiverUrl.replace(/^http:/, 'generic+http:')}/hooks/notify?token=${URL_TOKEN}`,
        headers: { authorization: `Bearer ${HEADER_SECRET}` },
      },
    ],
  });
  cleanups.push(() => workspace.cleanup());
  const daemon = workspace.start(['watch', '--interval', interval, '--listen', '127.0.0.1:0']);
  const url = await daemon.url();
  const start = await pollUntil(
    'the first check',
    async () => logRecords(daemon).find((record) => record.trigger === 'start'),
    { timeoutMs: 120_000, intervalMs: 200 },
  );
  expect(start, daemon.stderr()).toMatchObject({ assets: 1, enqueued: [] });
  return {
    namespace,
    repository,
    assetId: `k8s/${namespace}/deployment/app/container/app`,
    workspace,
    daemon,
    url,
  };
}

async function waitForUpdate(scenario: Scenario, toVersion: string, state: string): Promise<UpdateRow> {
  return pollUntil(
    `the update to ${toVersion} to be ${state}`,
    async () => (await updatesOf(scenario)).find((u) => u.toVersion === toVersion && u.state === state),
    { timeoutMs: 150_000, intervalMs: 250 },
  );
}

/** The Deployment runs the pushed image (the updater may pin it to the pushed digest). */
async function expectDeploymentOn(scenario: Scenario, pushed: PushedTag): Promise<void> {
  await waitForDeployment(scenario.namespace, 'app', pushed.tag);
  const deployment = await kube.apps.readNamespacedDeployment({ namespace: scenario.namespace, name: 'app' });
  const image = deployment.spec?.template.spec?.containers[0]?.image ?? '';
  expect([pushed.image, `${pushed.image}@${pushed.digest}`]).toContain(image);
}

function deliveredEvents(receiver: WebhookReceiver, updateId: string): DeliveredEvent[] {
  return receiver.received
    .flatMap((request) => (request.body as { events?: DeliveredEvent[] }).events ?? [])
    .filter((event) => event.updateId === updateId);
}

async function waitForDelivery(receiver: WebhookReceiver, updateId: string): Promise<DeliveredEvent[]> {
  return pollUntil(
    `update.started and update.succeeded of ${updateId} at the receiver`,
    async () => {
      const events = deliveredEvents(receiver, updateId);
      const names = events.map((event) => event.event);
      return names.includes('update.started') && names.includes('update.succeeded') ? events : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 250 },
  );
}

/** One update.started and one update.succeeded, both naming the asset, the update and its versions. */
function expectUpdateEvents(
  events: DeliveredEvent[],
  scenario: Scenario,
  update: UpdateRow,
  from: string,
  to: string,
): void {
  expect(events.map((event) => event.event).sort()).toEqual(['update.started', 'update.succeeded']);
  for (const event of events) {
    expect(event).toMatchObject({ assetId: scenario.assetId, updateId: update.id, from, to });
    expect(event.text).toContain(`${scenario.assetId} ${from} → ${to}`);
  }
  expect(events.find((event) => event.event === 'update.succeeded')?.state).toBe('succeeded');
}

/** Every request came from the configured channel: its URL and header, the webhook's JSON shape. */
function expectChannelRequests(receiver: WebhookReceiver): void {
  expect(receiver.received.length).toBeGreaterThan(0);
  for (const request of receiver.received) {
    expect(request).toMatchObject({ method: 'POST', path: `/hooks/notify?token=${URL_TOKEN}` });
    expect(request.headers.authorization).toBe(`Bearer ${HEADER_SECRET}`);
    expect(request.body).toMatchObject({ source: 'safe-updater', version: 1 });
  }
}

/** The secrets of the channel are in no payload, no log line and nowhere in the journal's files. */
function expectNoSecretsLeaked(scenario: Scenario, receiver: WebhookReceiver): void {
  const journalFiles = [scenario.workspace.statePath, `${scenario.workspace.statePath}-wal`]
    .filter((path) => existsSync(path))
    .map((path) => readFileSync(path).toString('latin1'));
  const places = {
    payloads: JSON.stringify(receiver.received.map((request) => request.body)),
    log: scenario.daemon.stderr(),
    journal: journalFiles.join('\n'),
  };
  for (const [place, text] of Object.entries(places)) {
    expect(text.includes(URL_TOKEN), `the URL token in the ${place}`).toBe(false);
    expect(text.includes(HEADER_SECRET), `the header secret in the ${place}`).toBe(false);
  }
}

async function startedReceiver(): Promise<WebhookReceiver> {
  const receiver = new WebhookReceiver();
  await receiver.start();
  cleanups.push(() => receiver.stop());
  return receiver;
}

describe('watch picks up a newly pushed tag and notifies', () => {
  it('polling: a tag pushed after the first check is updated to, verified and notified', async () => {
    const receiver = await startedReceiver();
    const scenario = await startScenario('5s', receiver.url);

    const pushed = await pushTag({ repository: scenario.repository, tag: '1.1.0' }, '1.1.0');
    const pushedAt = Date.now();
    const update = await waitForUpdate(scenario, '1.1.0', 'succeeded');
    expect(update).toMatchObject({ fromVersion: '1.0.0', origin: 'daemon' });
    // The next poll (5 s ± 10 %) found it: well before the webhook-less alternative of never.
    const detectedMs = new Date(update.createdAt).getTime() - pushedAt;
    console.log(`polling: update record created ${detectedMs} ms after the push (interval 5s)`);
    expect(detectedMs).toBeLessThan(30_000);
    await expectDeploymentOn(scenario, pushed);

    const events = await waitForDelivery(receiver, update.id);
    expectUpdateEvents(events, scenario, update, '1.0.0', '1.1.0');
    expectChannelRequests(receiver);
    expectNoSecretsLeaked(scenario, receiver);
  });

  it('webhook: a pushed tag starts an update within 2 s of the registry notification (Distribution and generic forms)', async () => {
    const receiver = await startedReceiver();
    // An hour between polls: only the webhooks can cause these updates.
    const scenario = await startScenario('1h', receiver.url);

    /** Pushes `tag`, POSTs the notification `body(pushed)`, returns the update and how fast it started. */
    const viaWebhook = async (
      tag: string,
      contentType: string,
      body: (pushed: PushedTag) => unknown,
    ): Promise<{ pushed: PushedTag; update: UpdateRow; startedAfterMs: number; postMs: number }> => {
      const pushed = await pushTag({ repository: scenario.repository, tag }, tag);
      const sentAt = Date.now();
      const response = await fetch(`${scenario.url}/hooks/registry`, {
        method: 'POST',
        headers: { 'content-type': contentType, 'x-webhook-secret': HOOK_SECRET },
        body: JSON.stringify(body(pushed)),
      });
      const returnedAt = Date.now();
      expect(response.status, await response.text()).toBe(202);
      const created = await pollUntil(
        `an update record for ${tag}`,
        async () => (await updatesOf(scenario)).find((u) => u.toVersion === tag),
        { timeoutMs: 60_000, intervalMs: 100 },
      );
      const startedAfterMs = new Date(created.createdAt).getTime() - returnedAt;
      console.log(
        `webhook (${contentType}): POST took ${returnedAt - sentAt} ms; update record created ${startedAfterMs} ms after the POST returned`,
      );
      return { pushed, update: created, startedAfterMs, postMs: returnedAt - sentAt };
    };

    const distribution = await viaWebhook('1.1.0', DISTRIBUTION_EVENTS_TYPE, distributionPushEnvelope);
    expect(distribution.startedAfterMs).toBeLessThan(2_000);
    const first = await waitForUpdate(scenario, '1.1.0', 'succeeded');
    expect(first).toMatchObject({ id: distribution.update.id, fromVersion: '1.0.0', origin: 'daemon' });
    await expectDeploymentOn(scenario, distribution.pushed);

    const generic = await viaWebhook('1.2.0', 'application/json', (pushed) => ({
      repository: `${pushed.registry}/${pushed.repository}`,
      tag: pushed.tag,
    }));
    expect(generic.startedAfterMs).toBeLessThan(2_000);
    const second = await waitForUpdate(scenario, '1.2.0', 'succeeded');
    expect(second).toMatchObject({ id: generic.update.id, fromVersion: '1.1.0', origin: 'daemon' });
    await expectDeploymentOn(scenario, generic.pushed);

    // Only the two webhook-triggered checks ran after the first one.
    const triggers = logRecords(scenario.daemon)
      .filter((record) => typeof record.trigger === 'string')
      .map((record) => record.trigger);
    expect(triggers).toEqual(['start', 'webhook', 'webhook']);
    expectUpdateEvents(await waitForDelivery(receiver, first.id), scenario, first, '1.0.0', '1.1.0');
    expectUpdateEvents(await waitForDelivery(receiver, second.id), scenario, second, '1.1.0', '1.2.0');
  });

  it('receiver down: the outbox retries, and delivers once when the receiver is back on the same port', async () => {
    const receiver = await startedReceiver();
    const port = receiver.port;
    await receiver.stop();
    const scenario = await startScenario('5s', receiver.url);
    const journal = await openJournal(`sqlite://${scenario.workspace.statePath}`);
    cleanups.push(() => journal.close());
    const undelivered = async (updateId: string): Promise<OutboxMessage[]> =>
      (await journal.dueNotifications(FAR_FUTURE, 100)).filter((m) => m.payload.updateId === updateId);

    const pushed = await pushTag({ repository: scenario.repository, tag: '1.1.0' }, '1.1.0');
    const update = await waitForUpdate(scenario, '1.1.0', 'succeeded');
    expect(update).toMatchObject({ fromVersion: '1.0.0', origin: 'daemon' });
    await expectDeploymentOn(scenario, pushed);

    // Both messages were tried at least twice (a first attempt and a retry), refused each time.
    const failed = await pollUntil(
      'two failed attempts of each message',
      async () => {
        const messages = await undelivered(update.id);
        return messages.length === 2 && messages.every((m) => m.attempts >= 2) ? messages : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    expect(failed.map((m) => m.event).sort()).toEqual(['update.started', 'update.succeeded']);
    for (const message of failed) {
      expect(message).toMatchObject({ channel: 'webhook#0', deliveredAt: null });
      expect(message.lastError).toMatch(/^webhook#0: ECONNREFUSED/);
      // Retried later, not parked as a permanent failure.
      expect(message.nextAttemptAt.getTime()).toBeLessThan(PARKED_UNTIL.getTime());
    }
    expect(scenario.daemon.stderr()).toContain('notification failed: webhook#0: ECONNREFUSED');
    expect(receiver.received).toEqual([]);

    await receiver.start();
    const backAt = Date.now();
    expect(receiver.port).toBe(port);
    const events = await waitForDelivery(receiver, update.id);
    console.log(
      `receiver down: attempts before it came back ${failed.map((m) => `${m.event}=${m.attempts}`).join(', ')}; ` +
        `delivered ${Date.now() - backAt} ms after it came back`,
    );
    await pollUntil('the outbox to be empty', async () =>
      (await undelivered(update.id)).length === 0 ? true : undefined,
    );
    // The delivery loop drains every second: give it a few more rounds in which a duplicate would show.
    const requests = receiver.received.length;
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(receiver.received).toHaveLength(requests);
    expectUpdateEvents(deliveredEvents(receiver, update.id), scenario, update, '1.0.0', '1.1.0');
    expect(events).toHaveLength(2);
    expectChannelRequests(receiver);
    expectNoSecretsLeaked(scenario, receiver);
  });
});
