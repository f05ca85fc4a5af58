/**
 * An in-process cache of lookups that also merges concurrent ones: 50 assets asking for one repository
 * at once share a single request (a "single flight"). Failures are not kept, so the next scan asks again.
 */
import type { Clock } from '../core/clock.js';

export class LookupCache<V> {
  private readonly entries = new Map<string, { value: Promise<V>; expiresAt: number }>();
  constructor(
    private readonly ttlMs: number,
    private readonly clock: Clock,
  ) {}

  get(key: string, load: () => Promise<V>): Promise<V> {
    const now = this.clock.now().getTime();
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > now) return entry.value;
    const value = load();
    this.entries.set(key, { value, expiresAt: now + this.ttlMs });
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    return value;
  }

  clear(): void {
    this.entries.clear();
  }
}
