// Deep freezing, for values shared between evaluations (a verified statement served from the verdict cache, the
// provenance parsed from it): a consumer that tried to change one would change it for every later evaluation, so it
// fails instead (modules are strict: assigning to a frozen property throws a TypeError).

/** Freezes `value` and everything reachable from it through own properties; returns it. Cycles are fine. */
export function deepFreeze<T>(value: T): T {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== "object" || v === null || Object.isFrozen(v)) continue;
    // Typed arrays and Buffers cannot be frozen while they have elements; they are bytes, left as they are.
    if (ArrayBuffer.isView(v)) continue;
    Object.freeze(v);
    for (const k of Reflect.ownKeys(v)) stack.push((v as Record<PropertyKey, unknown>)[k]);
  }
  return value;
}
