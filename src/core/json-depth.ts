// How deeply a parsed JSON value nests, found with an explicit stack: JSON.parse accepts any depth, but every
// recursive consumer after it (JSON.stringify, structuredClone, a logger, PostgreSQL's jsonb) overflows its stack
// on a value nested a hundred thousand deep.

/** Whether `value` (a tree, as JSON.parse makes) nests arrays and objects at most `max` deep; linear in its size. */
export function nestsWithin(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [node, depth] = item;
    if (node === null || typeof node !== "object") continue;
    if (depth + 1 > max) return false;
    for (const child of Array.isArray(node) ? node : Object.values(node)) if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
  }
  return true;
}
