// A bounded cache (the verifier's, the config source's): at most `maxEntries` entries and at most `maxWeight` in
// total weight (e.g. the bytes an entry stands for); past either bound the least recently used entries are
// forgotten. A long-running App sees an endless stream of distinct bundles, certificates and repositories, so every
// cache of theirs needs both bounds. The eviction is lru-cache's; this keeps the two-bound interface its users share.
import { LRUCache } from "lru-cache";

export class LruCache<K extends NonNullable<unknown>, V extends NonNullable<unknown>> {
  // undefined: no room at all (lru-cache wants positive bounds), so nothing is ever stored
  private readonly cache: LRUCache<K, V> | undefined;

  constructor(
    readonly maxEntries: number,
    readonly maxWeight: number = Number.POSITIVE_INFINITY,
  ) {
    if (!(maxEntries >= 0) || !(maxWeight >= 0)) throw new RangeError(`expected non-negative bounds, got ${maxEntries} entries and ${maxWeight} weight`);
    if (maxEntries === 0) return;
    // lru-cache preallocates `max` slots (an unbounded count is held by the weight alone) and sizes in whole units
    const max = Number.isFinite(maxEntries) ? Math.ceil(maxEntries) : undefined;
    const maxSize = Number.isFinite(maxWeight) ? Math.floor(maxWeight) : Number.MAX_SAFE_INTEGER;
    if (maxSize === 0) return;
    this.cache = new LRUCache<K, V>({ ...(max !== undefined ? { max } : {}), maxSize, maxEntrySize: maxSize });
  }

  /** The value, now the most recently used; undefined when absent. */
  get(key: K): V | undefined {
    return this.cache?.get(key);
  }

  /** Stores the value (the most recently used), then forgets the least recently used past the bounds. An entry heavier than `maxWeight` is not stored. */
  set(key: K, value: V, weight = 1): void {
    if (this.cache === undefined) return;
    // lru-cache drops (and forgets the old value of) an entry over maxEntrySize
    this.cache.set(key, value, { size: Math.max(1, Math.ceil(weight)) });
  }

  /** Forgets the entry, if any. */
  delete(key: K): void {
    this.cache?.delete(key);
  }

  get size(): number {
    return this.cache?.size ?? 0;
  }

  /** The sum of the stored entries' weights. */
  get weight(): number {
    return this.cache?.calculatedSize ?? 0;
  }
}
