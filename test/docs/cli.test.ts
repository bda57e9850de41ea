// docs/cli.md and the README's command table keep up with the command table in src/cli/main.ts: every command
// `agent-gate help` lists has a row in docs/cli.md (a group, a row naming each subcommand), the README names each,
// and the summary `agent-gate help` prints for a group names every one of its subcommands.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { main } from "../../src/cli/main.js";

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

interface Listed { readonly name: string; readonly summary: string; readonly subcommands: readonly string[] }

async function listed(): Promise<Listed[]> {
  const out: string[] = [];
  assert.equal(await main(["help", "--json"], { out: (t) => out.push(t), err: () => undefined }), 0);
  return (JSON.parse(out.join("\n")) as { commands: Listed[] }).commands;
}

/** The command column of a markdown table's rows that start with `agent-gate`, e.g. "agent-gate audit verify\|show". */
const rows = (text: string): string[] => [...text.matchAll(/^\| `(agent-gate [^`]*)`/gm)].map((m) => m[1]!);

describe("the command tables", async () => {
  const commands = await listed();

  it("agent-gate help lists the commands (the checks below read them)", () => {
    assert.ok(commands.length >= 8, commands.map((c) => c.name).join(", "));
  });

  it("docs/cli.md has a row for every command and every subcommand", () => {
    const cli = rows(read("docs/cli.md"));
    for (const c of commands) {
      if (c.subcommands.length === 0) {
        assert.ok(cli.some((r) => r === `agent-gate ${c.name}` || r.startsWith(`agent-gate ${c.name} `)), `docs/cli.md has no row for agent-gate ${c.name}`);
        continue;
      }
      for (const sub of c.subcommands) {
        const found = cli.some((r) => r.startsWith(`agent-gate ${c.name} `) && (r.split(" ")[2] ?? "").split("\\|").includes(sub));
        assert.ok(found, `docs/cli.md has no row for agent-gate ${c.name} ${sub}`);
      }
    }
  });

  it("the README's command table names every command", () => {
    const readme = read("README.md");
    for (const c of commands) assert.ok(readme.includes(`\`agent-gate ${c.name}`) || readme.includes(`agent-gate ${c.name} [`), `README.md's command table has no agent-gate ${c.name}`);
  });

  it("agent-gate help's summary of a group names each of its subcommands", () => {
    for (const c of commands) {
      for (const sub of c.subcommands) assert.match(c.summary, new RegExp(`\\b${sub}\\b`), `agent-gate help sums ${c.name} up as "${c.summary}", leaving out ${sub}`);
    }
  });
});
