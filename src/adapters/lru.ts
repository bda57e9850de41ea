// A bounded cache (the verifier's, the config source's): at most `maxEntries` entries and at most `maxWeight` in
// total weight (e.g. the bytes an entry stands for); past either bound the least recently used entries are
// forgotten. A long-running App sees an endless stream of distinct bundles, certificates and repositories, so every
// cache of theirs needs both bounds.
export class LruCache<K, V> {
  private readonly entries = new Map<K, { value: V; weight: number }>();
  private total = 0;

  constructor(
    readonly maxEntries: number,
    readonly maxWeight: number = Number.POSITIVE_INFINITY,
  ) {
    if (!(maxEntries >= 0) || !(maxWeight >= 0)) throw new RangeError(`expected non-negative bounds, got ${maxEntries} entries and ${maxWeight} weight`);
  }

  /** The value, now the most recently used; undefined when absent. */
  get(key: K): V | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.value;
  }

  /** Stores the value (the most recently used), then forgets the least recently used past the bounds. An entry heavier than `maxWeight` is not stored. */
  set(key: K, value: V, weight = 1): void {
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.entries.delete(key);
      this.total -= old.weight;
    }
    if (this.maxEntries === 0 || weight > this.maxWeight) return;
    this.entries.set(key, { value, weight });
    this.total += weight;
    while (this.entries.size > this.maxEntries || this.total > this.maxWeight) {
      const [k, e] = this.entries.entries().next().value!;
      this.entries.delete(k);
      this.total -= e.weight;
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** The sum of the stored entries' weights. */
  get weight(): number {
    return this.total;
  }
}
