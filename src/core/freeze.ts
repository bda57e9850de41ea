// Deep freezing, for values shared between evaluations (a verified statement served from the verdict cache, the
// provenance parsed from it): a consumer that tried to change one would change it for every later evaluation, so it
// fails instead (modules are strict: assigning to a frozen property throws a TypeError).

// Roots this module froze all the way down (Object.isFrozen tells only of the top level).
const deeplyFrozen = new WeakSet<object>();

/** True when `value` came out of deepFreeze: nothing reachable from it can change (bytes aside). */
export function isDeepFrozen(value: unknown): boolean {
  return typeof value === "object" && value !== null && deeplyFrozen.has(value);
}

/** Freezes `value` and everything reachable from it through own properties; returns it. Cycles are fine. */
export function deepFreeze<T>(value: T): T {
  const seen = new Set<object>();
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    // Not Object.isFrozen(v): an object frozen at its top only (by someone else) may hold values that can change.
    if (typeof v !== "object" || v === null || seen.has(v) || deeplyFrozen.has(v)) continue;
    seen.add(v);
    // Typed arrays and Buffers cannot be frozen while they have elements; they are bytes, left as they are.
    if (ArrayBuffer.isView(v)) continue;
    Object.freeze(v);
    for (const k of Reflect.ownKeys(v)) stack.push((v as Record<PropertyKey, unknown>)[k]);
  }
  if (typeof value === "object" && value !== null) deeplyFrozen.add(value); // only once all of it is frozen
  return value;
}
