import { describe, expect, it } from 'vitest';
import { describeEntry } from '../message.js';
import { DISCORD_CONTENT_LIMIT, discord } from './discord.js';
import { slack } from './slack.js';
import { webhook } from './webhook.js';

const entry = (n: number) => ({
  event: 'update.succeeded',
  payload: { assetId: `k8s/ns/deployment/app-${n}/container/app`, from: '1.0.0', to: '1.1.0' },
});

describe('channel formats', () => {
  it('says what happened in one line per event', () => {
    expect(describeEntry(entry(1))).toBe('✅ k8s/ns/deployment/app-1/container/app 1.0.0 → 1.1.0: updated');
    expect(describeEntry({ event: 'custom.thing', payload: {} })).toBe('ℹ️ safe-updater: custom.thing');
  });

  it('keeps a Discord message within its 2,000 characters and says how much was left out', () => {
    const entries = Array.from({ length: 100 }, (_, n) => entry(n));
    const { content } = discord.render(entries, {}) as { content: string };
    expect(content.length).toBeLessThanOrEqual(DISCORD_CONTENT_LIMIT);
    const shown = content.split('\n').filter((line) => line.startsWith('✅')).length;
    expect(shown).toBeGreaterThan(10);
    expect(content.endsWith(`… and ${100 - shown} more`)).toBe(true);
  });

  it('names the Slack bot when the URL set one, and keeps webhook payload fields', () => {
    expect(slack.render([entry(1)], { username: 'bot' })).toMatchObject({ username: 'bot' });
    expect(webhook.render([entry(2)], {})).toMatchObject({
      version: 1,
      events: [{ event: 'update.succeeded', assetId: 'k8s/ns/deployment/app-2/container/app', to: '1.1.0' }],
    });
  });
});
