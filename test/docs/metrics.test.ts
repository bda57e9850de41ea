// The metrics docs/operations.md lists are the ones /metrics serves: every agent_gate_ name in its "Health and
// metrics" section is a series the App's Metrics registers, and every series it registers (beside prom-client's
// process metrics) is listed there. A metric named anywhere else in the docs or the README exists too.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { describe, it } from "node:test";
import { Metrics } from "../../src/observability/metrics.js";

const ROOT = new URL("../../", import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, ROOT), "utf8");

/** The section of a markdown text under `heading`, up to the next heading of the same level. */
function section(text: string, heading: string): string {
  const start = text.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `no section "${heading}"`);
  const end = text.indexOf("\n## ", start + heading.length + 2);
  return text.slice(start, end === -1 ? undefined : end);
}

/** The agent_gate_ names quoted in `text` (labels in braces dropped). */
const quoted = (text: string): Set<string> => new Set([...text.matchAll(/`(agent_gate_[a-z0-9_]+)(?:\{[^}`]*\})?`/g)].map((m) => m[1]!));

describe("metrics in the docs", async () => {
  const served = new Set((await new Metrics({ defaultMetrics: false }).registry.getMetricsAsJSON()).map((m) => m.name));
  const process = new Set((await new Metrics().registry.getMetricsAsJSON()).map((m) => m.name).filter((n) => !served.has(n)));

  it("the App serves metrics under agent_gate_ (the check below reads them)", () => {
    assert.ok(served.size >= 10, `found ${[...served].join(", ")}`);
    for (const n of served) assert.match(n, /^agent_gate_/);
  });

  it("docs/operations.md, Health and metrics: every metric it names is served, and every one served is named", () => {
    const listed = quoted(section(read("docs/operations.md"), "## Health and metrics"));
    for (const n of listed) assert.ok(served.has(n) || process.has(n), `docs/operations.md names ${n}, which /metrics does not serve`);
    for (const n of served) assert.ok(listed.has(n), `/metrics serves ${n}, which docs/operations.md ("Health and metrics") does not list`);
  });

  it("a metric named anywhere in docs/ or the README is served", () => {
    const files = ["README.md", ...readdirSync(new URL("docs/", ROOT)).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
    for (const f of files) {
      for (const n of quoted(read(f))) {
        if (!/_(total|seconds|bytes|depth|remaining)$/.test(n)) continue; // schema and role names (agent_gate_app, agent_gate_jobs)
        assert.ok(served.has(n) || process.has(n), `${f} names the metric ${n}, which /metrics does not serve`);
      }
    }
  });
});
