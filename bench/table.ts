// Prints benchmark rows as an aligned plain-text table (benchmarks print tables; tests never time anything).
export type Row = Record<string, string | number>;

export function printTable(title: string, rows: readonly Row[]): void {
  if (rows.length === 0) return;
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: string | number | undefined): string => (typeof v === "number" ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : (v ?? ""));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]): string => vals.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join("  ");
  console.log(`\n${title}`);
  console.log(line(cols));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(cols.map((c) => cell(r[c]))));
}
