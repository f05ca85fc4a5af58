/**
 * A separate process that writes to a journal, for the multi-process tests in processes.test.ts.
 * Usage: node --import tsx test/state/journal-worker.ts MODE URL ARGS…
 *   hold UPDATE_ID          move the update queued → validating, then stop inside the transaction (before
 *                           COMMIT), print "in-transaction" and wait to be killed
 *   churn ASSET_PREFIX      drive updates through their whole life in a loop, printing "done N" after each
 *   lease NAME HOLDER N LOG take the lease N times; while holding it, append "enter HOLDER" / "leave HOLDER"
 *                           to LOG; print "finished" at the end
 *   hold-lease NAME HOLDER TTL_MS  take the lease, print "held", wait to be killed
 */
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { openJournal } from '../../src/state/journal.js';
import type { UpdateState } from '../../src/core/update-state.js';

const [mode, url, ...args] = process.argv.slice(2);
if (mode === undefined || url === undefined) throw new Error('usage: journal-worker MODE URL ARGS…');
const say = (line: string): void => void process.stdout.write(`${line}\n`);
const forever = (): Promise<never> => new Promise<never>(() => setInterval(() => undefined, 60_000));

if (mode === 'hold') {
  let holding = false;
  const journal = await openJournal(url, {
    beforeCommit: async () => {
      if (!holding) return;
      say('in-transaction');
      await forever();
    },
  });
  holding = true;
  await journal.transition(args[0] ?? '', 'queued', 'validating', { message: 'must never be seen' });
} else if (mode === 'churn') {
  const journal = await openJournal(url);
  const life: [UpdateState, UpdateState][] = [
    ['queued', 'validating'],
    ['validating', 'applying'],
    ['applying', 'verifying'],
    ['verifying', 'succeeded'],
  ];
  for (let n = 1; ; n++) {
    const record = await journal.createUpdate({
      assetId: `${args[0] ?? 'helm/churn'}-${n % 5}`,
      assetKind: 'helm',
      fromVersion: '1.0.0',
      toVersion: `1.0.${n}`,
      origin: 'daemon',
      requestedBy: 'worker',
    });
    for (const [from, to] of life) await journal.transition(record.id, from, to, { facts: { n } });
    say(`done ${n}`);
  }
} else if (mode === 'lease') {
  const [name = '', holder = '', times = '0', log = ''] = args;
  const journal = await openJournal(url);
  for (let i = 0; i < Number(times); i++) {
    while (!(await journal.tryAcquireLease(name, holder, 60_000, new Date()))) await sleep(5);
    appendFileSync(log, `enter ${holder}\n`);
    await sleep(10);
    appendFileSync(log, `leave ${holder}\n`);
    await journal.releaseLease(name, holder);
    await sleep(1);
  }
  await journal.close();
  say('finished');
} else if (mode === 'hold-lease') {
  const [name = '', holder = '', ttl = '0'] = args;
  const journal = await openJournal(url);
  if (!(await journal.tryAcquireLease(name, holder, Number(ttl), new Date()))) throw new Error('lease taken');
  say('held');
  await forever();
} else {
  throw new Error(`unknown mode ${mode}`);
}
