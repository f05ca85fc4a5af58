import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { LookupCache } from './lookup-cache.js';

describe('LookupCache', () => {
  it('merges concurrent lookups of one key into one', async () => {
    const cache = new LookupCache<number>(60_000, new ManualClock());
    let loads = 0;
    const load = async (): Promise<number> => {
      loads++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return 42;
    };
    const values = await Promise.all(Array.from({ length: 50 }, () => cache.get('repo', load)));
    expect(values.every((v) => v === 42)).toBe(true);
    expect(loads).toBe(1);
  });

  it('expires entries after the TTL and forgets failures', async () => {
    const clock = new ManualClock();
    const cache = new LookupCache<number>(1000, clock);
    let loads = 0;
    await cache.get('k', () => Promise.resolve(++loads));
    clock.advance(999);
    expect(await cache.get('k', () => Promise.resolve(++loads))).toBe(1);
    clock.advance(2);
    expect(await cache.get('k', () => Promise.resolve(++loads))).toBe(2);
    await expect(cache.get('f', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('f', () => Promise.resolve(7))).toBe(7);
  });
});
