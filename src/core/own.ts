// Copying a JSON object key by key. A key "__proto__" is an own key of what JSON.parse returns, but assigned to
// another object it sets that object's prototype: the key vanishes from the copy (from an audit record, a log line, a
// merged config) and its value is inherited instead. Defined, it stays a key.

/** Sets `key` on `out` as an own, enumerable, writable property, whatever the key. */
export function putOwn(out: Record<string, unknown>, key: string, value: unknown): void {
  // Assignment is the fast path and the same for every other key: only __proto__ is an accessor of Object.prototype.
  if (key === "__proto__") Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}
