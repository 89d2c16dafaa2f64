/**
 * A bounded map that forgets the least recently used entry first, with an optional lifetime per
 * entry. Map keeps insertion order, so moving an entry to the end on each read is enough.
 * (lru-cache is only in node_modules as a build tool's dependency; this is all we need of it.)
 */
export class LruCache<K, V> {
  private readonly entries = new Map<K, { value: V; expiresAt: number }>();

  constructor(
    readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`an LRU cache needs room for at least one entry, not ${maxEntries}`);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value, unless it is absent or expired (an expired one is dropped). */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= this.now()) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Keeps the value for `ttlMs` (forever when omitted), evicting the oldest when full. */
  set(key: K, value: V, ttlMs = Infinity): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
    while (this.entries.size > this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value as K);
    }
  }
}
