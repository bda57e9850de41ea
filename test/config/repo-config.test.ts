// .github/agent-gate.yml: every default, strictness, and errors that name the file, the path, what was expected
// and what was found (with the line), so a broken config gives a failing check a person can fix.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { DEFAULT_PROTECTED_PATHS, defaultRepoConfig, parseRepoConfig, policyData, show } from "../../src/config/repo-config.js";
import { MAX_CONFIG_DEPTH, MAX_CONFIG_ERRORS, MAX_CONFIG_KEY_LENGTH, readConfigDocument } from "../../src/config/config-document.js";
import { CONFIG_MAX_BYTES } from "../../src/adapters/github/config-source.js";
import { MAX_GLOB_LENGTH, MAX_GLOB_PATTERNS, MAX_GLOB_WILDCARDS, MAX_PROTECTED_PATHS, globKind } from "../../src/config/glob-cost.js";
import type { ConfigResult } from "../../src/config/repo-config.js";

const errors = (r: ConfigResult): readonly string[] => {
  assert.equal(r.ok, false);
  return r.ok ? [] : r.messages;
};

describe("repo config", () => {
  it("an empty file means every default", () => {
    const r = parseRepoConfig("");
    assert.ok(r.ok);
    assert.deepEqual(r.config, defaultRepoConfig());
    assert.equal(r.config.rules.human_approval.count, 1);
    assert.deepEqual(r.config.rules.protected_paths.paths, DEFAULT_PROTECTED_PATHS);
    assert.equal(r.config.deployments.environments.production?.agent_extra_approvals, 1);
    assert.match(r.digest, /^sha256:[0-9a-f]{64}$/);
  });

  it("the bundle's data.json holds exactly the defaults", () => {
    const data = JSON.parse(readFileSync(new URL("../../policies/rego/data.json", import.meta.url), "utf8")) as unknown;
    assert.deepEqual(data, JSON.parse(JSON.stringify(policyData(defaultRepoConfig()))));
  });

  it("reports a wrong type by path with what was expected and what was found", () => {
    const r = parseRepoConfig("rules:\n  human_approval:\n    count: two\n");
    assert.deepEqual(errors(r), ['.github/agent-gate.yml: rules.human_approval.count: expected a whole number >= 0, got "two" (line 3, column 12)']);
  });

  it("reports unknown keys by path", () => {
    const r = parseRepoConfig("rules:\n  signerz:\n    allowed: []\nextra: 1\n");
    assert.deepEqual(errors(r), [
      ".github/agent-gate.yml: rules.signerz: unknown key (line 3, column 5)",
      ".github/agent-gate.yml: extra: unknown key (line 4, column 8)",
    ]);
  });

  it("reports several problems at once, in nested lists", () => {
    const msgs = errors(
      parseRepoConfig(`rules:
  protected_paths:
    mode: maybe
    paths: [".github/**", 3]
  model_governance:
    allowed:
      - model: claude
        expires: 2026-02-30
deployments:
  environments:
    production: {regions: eu-west-1}
`),
    );
    assert.deepEqual(
      msgs.map((m) => m.replace(/ \(line.*$/, "")),
      [
        '.github/agent-gate.yml: rules.model_governance.allowed.0.model: expected a model id "provider/model", got "claude"',
        '.github/agent-gate.yml: rules.model_governance.allowed.0.expires: expected a calendar date, got "2026-02-30"',
        '.github/agent-gate.yml: rules.protected_paths.mode: expected "enforce", "warn" or "off" (or, the older spelling of path_mode, "deny" or "require-approval"), got "maybe"',
        ".github/agent-gate.yml: rules.protected_paths.paths.1: expected a glob or {pattern, mode}, got 3",
        '.github/agent-gate.yml: deployments.environments.production.regions: expected a list, got "eu-west-1"',
      ].sort((a, b) => msgs.findIndex((m) => m.startsWith(a)) - msgs.findIndex((m) => m.startsWith(b))),
    );
  });

  it("reports YAML syntax errors with line and column", () => {
    assert.deepEqual(errors(parseRepoConfig("rules:\n  size: {max_files: 3\n")).length, 1);
    assert.match(errors(parseRepoConfig("rules:\n  size: {max_files: 3\n"))[0] ?? "", /^\.github\/agent-gate\.yml: \(document\): invalid YAML: .* \(line \d+, column \d+\)$/);
    assert.match(errors(parseRepoConfig("a: 1\na: 2\n"))[0] ?? "", /Map keys must be unique \(line 2, column 1\)/);
  });

  it("a YAML document that is not a map is reported, not defaulted", () => {
    assert.match(errors(parseRepoConfig("- a\n- b\n"))[0] ?? "", /\(document\): .*expected object/i);
  });

  it("user environments keep production's extra approval unless they set it", () => {
    const r = parseRepoConfig("deployments:\n  environments:\n    staging: {regions: [eu-west-1]}\n    production: {regions: [eu-west-1]}\n");
    assert.ok(r.ok);
    assert.deepEqual(r.config.deployments.environments, { staging: { regions: ["eu-west-1"] }, production: { agent_extra_approvals: 1, regions: ["eu-west-1"] } });
    const off = parseRepoConfig("deployments:\n  environments:\n    production: {agent_extra_approvals: 0}\n");
    assert.ok(off.ok);
    assert.equal(off.config.deployments.environments.production?.agent_extra_approvals, 0);
  });

  it("production's default joins the user's entry whatever its case: one environment, never two keys", () => {
    const r = parseRepoConfig("deployments:\n  environments:\n    Production: {approvals: 2}\n");
    assert.ok(r.ok);
    assert.deepEqual(r.config.deployments.environments, { Production: { agent_extra_approvals: 1, approvals: 2 } });
    const off = parseRepoConfig("deployments:\n  environments:\n    PRODUCTION: {agent_extra_approvals: 0}\n");
    assert.ok(off.ok);
    assert.deepEqual(off.config.deployments.environments, { PRODUCTION: { agent_extra_approvals: 0 } });
  });

  it("equal configs have equal digests whatever the key order", () => {
    const a = parseRepoConfig("rules: {size: {max_files: 3, max_lines: 10}}");
    const b = parseRepoConfig("rules: {size: {max_lines: 10, max_files: 3}}");
    assert.ok(a.ok && b.ok);
    assert.equal(a.digest, b.digest);
    assert.notEqual(a.digest, (parseRepoConfig("") as { digest: string }).digest);
  });

  it("accepts signers, keys, per-repository lists and per-pattern modes", () => {
    const r = parseRepoConfig(`rules:
  signers:
    allowed:
      - identity: https://github.com/acme/agents/.github/workflows/agent.yml@refs/heads/main
        issuer: https://token.actions.githubusercontent.com
      - key: k1
    repositories:
      acme/web: [{key: k2}]
  protected_paths:
    paths: [{pattern: ".github/workflows/**", mode: deny}, "infra/**"]
`);
    assert.ok(r.ok, r.ok ? "" : r.messages.join("\n"));
    assert.deepEqual(r.config.rules.signers.repositories, { "acme/web": [{ key: "k2" }] });
  });

  describe("hostile files are config errors with file and line, never a crash", () => {
    const only = (text: string): string => {
      const msgs = errors(parseRepoConfig(text));
      assert.equal(msgs.length, 1, msgs.join("\n"));
      return msgs[0] ?? "";
    };

    it("an alias bomb (9 aliases of 9 aliases, five levels deep) is refused before it is expanded", () => {
      const levels = ["a: &a [x, x, x, x, x, x, x, x, x]"];
      for (const [prev, name] of [["a", "b"], ["b", "c"], ["c", "d"], ["d", "e"], ["e", "f"]]) levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(", ")}]`);
      assert.match(only(levels.join("\n")), /^\.github\/agent-gate\.yml: \(document\): invalid YAML: aliases expand to more than 100 copies .* \(line 2, column \d+\)$/);
    });

    it("an alias that names no anchor", () => {
      assert.equal(only("rules:\n  size: *nope\n"), ".github/agent-gate.yml: (document): invalid YAML: the alias *nope names no anchor; expected an anchor &nope before it (line 2, column 9)");
    });

    it("a date that is no date (expires: someday) is reported, not thrown", () => {
      assert.equal(
        only("rules:\n  model_governance:\n    allowed:\n      - model: a/b\n        expires: someday\n"),
        '.github/agent-gate.yml: rules.model_governance.allowed.0.expires: expected a date YYYY-MM-DD, got "someday" (line 5, column 18)',
      );
    });

    it("a lone surrogate in a string or a key (it could not reach the policy as JSON)", () => {
      assert.equal(only('agents:\n  labels: ["\\ud800x"]\n'), ".github/agent-gate.yml: agents.labels.0: a string holds a lone surrogate (\\ud800-\\udfff); expected well-formed Unicode text (line 2, column 12)");
      assert.match(only('deployments:\n  environments:\n    "\\udc00": {}\n'), /a key holds a lone surrogate .* \(line 3, column 5\)$/);
      assert.ok(parseRepoConfig('agents:\n  labels: ["\\ud83d\\ude00 ok"]\n').ok, "a surrogate pair is fine");
    });

    it("tags beyond plain YAML values (!!python/object, !!binary, !!set) are refused by name", () => {
      assert.equal(
        only("rules: !!python/object:os.system\n  size: {}\n"),
        ".github/agent-gate.yml: rules: unsupported YAML tag !!python/object:os.system; expected plain strings, numbers, booleans, lists and maps (line 2, column 3)",
      );
      assert.match(only("agents:\n  labels: [!!binary aGVsbG8=]\n"), /agents\.labels\.0: unsupported YAML tag !!binary; .* \(line 2, column 21\)$/);
      assert.match(only("agents:\n  labels: !!set {a, b}\n"), /agents\.labels: unsupported YAML tag !!set/);
      assert.ok(parseRepoConfig("agents:\n  labels: [!!str 123]\n").ok, "core tags are fine");
    });

    it("nesting 30,000 deep is refused as too deep, as is 40 levels", () => {
      assert.match(only(`agents: ${"[".repeat(30_000)}${"]".repeat(30_000)}\n`), /\(document\): invalid YAML: nested too deeply to read; expected at most 32 levels/);
      assert.match(only(`agents: ${"[".repeat(40)}${"]".repeat(40)}\n`), /nested deeper than 32 levels/);
    });

    it("40,000 unknown keys give the first errors and a count, each located by one index (linear)", () => {
      const text = Array.from({ length: 40_000 }, (_, i) => `k${i}: 1`).join("\n");
      const msgs = errors(parseRepoConfig(text));
      assert.equal(msgs.length, MAX_CONFIG_ERRORS + 1);
      assert.equal(msgs[0], ".github/agent-gate.yml: k0: unknown key (line 1, column 5)");
      assert.equal(msgs[MAX_CONFIG_ERRORS - 1], `.github/agent-gate.yml: k${MAX_CONFIG_ERRORS - 1}: unknown key (line ${MAX_CONFIG_ERRORS}, column ${5 + String(MAX_CONFIG_ERRORS - 1).length - 1})`);
      assert.equal(msgs.at(-1), `.github/agent-gate.yml: ${40_000 - MAX_CONFIG_ERRORS} more errors not shown`);
    });

    it("a duplicate key among 20,000 is found (without yaml's pairwise check)", () => {
      const text = Array.from({ length: 20_000 }, (_, i) => `k${i}: 1`).join("\n") + "\nk7: 2\n";
      assert.equal(only(text), ".github/agent-gate.yml: (document): invalid YAML: Map keys must be unique (line 20001, column 1)");
    });

    it(`a key longer than ${MAX_CONFIG_KEY_LENGTH} characters is refused by its length, with its line; an environment name of 255 is not`, () => {
      assert.equal(
        only(`deployments:\n  environments:\n    ? ${"e".repeat(MAX_CONFIG_KEY_LENGTH + 1)}\n    : {}\n`),
        `.github/agent-gate.yml: deployments.environments: a key of ${MAX_CONFIG_KEY_LENGTH + 1} characters; expected at most ${MAX_CONFIG_KEY_LENGTH} (a setting, an environment name or an owner/name) (line 3, column 7)`,
      );
      for (const name of ["e".repeat(255), "\u{1f680}".repeat(255)]) {
        const r = parseRepoConfig(`deployments:\n  environments:\n    ? "${name}"\n    : { agent_extra_approvals: 2 }\n`);
        assert.ok(r.ok, r.ok ? "" : r.messages.join("\n"));
      }
    });

    // The finding: 32,000 × "k" as an explicit key (YAML's 1,024-character limit is for implicit keys) over a flow
    // list of 16,500 items, 65,007 bytes. Each item's position was stored under its whole path's text (528 M
    // characters): under the App's heap it did not finish in 60 s (539 s and 800 MB without the cap). It must now be
    // a config error, read under the App's heap flag; the timeout is generous (it takes well under a second).
    it("a 64 KiB file of one 32,000-character key over 16,500 items is refused under the App's heap, not read for minutes", () => {
      const src = new URL("../../src/config/repo-config.ts", import.meta.url).pathname;
      const script = `import { parseRepoConfig } from ${JSON.stringify(src)};
        const text = "? " + "k".repeat(32000) + "\\n: [" + Array(16500).fill("1").join(",") + "]\\n";
        const r = parseRepoConfig(text);
        console.log(JSON.stringify({ bytes: text.length, first: r.ok ? "" : r.messages[0] }));`;
      const r = spawnSync(process.execPath, ["--max-old-space-size=512", "--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 });
      assert.equal(r.status, 0, `${r.signal ?? ""} ${r.stderr.slice(-500)}`);
      const out = JSON.parse(r.stdout) as { bytes: number; first: string };
      assert.ok(out.bytes <= CONFIG_MAX_BYTES);
      assert.equal(out.first, `.github/agent-gate.yml: (document): a key of 32000 characters; expected at most ${MAX_CONFIG_KEY_LENGTH} (a setting, an environment name or an owner/name) (line 1, column 3)`);
    });

    it("the line index stores each key's text once: keys of the longest allowed length nested 30 deep over 28,000 items", () => {
      // Counts the characters of the string keys every Map is given while the file is read (the index is a Map):
      // keyed by the whole path, each item stored the 30 keys above it again (216 M characters for this file).
      const key = (i: number): string => String.fromCharCode(97 + i).repeat(MAX_CONFIG_KEY_LENGTH);
      const head = Array.from({ length: 30 }, (_, i) => `{${key(i % 26)}: `).join("");
      const items = Math.floor((CONFIG_MAX_BYTES - head.length - 40) / 2);
      const text = `${head}[${Array(items).fill("1").join(",")}]${"}".repeat(30)}\n`;
      assert.ok(text.length <= CONFIG_MAX_BYTES && 30 < MAX_CONFIG_DEPTH);
      const set = Map.prototype.set; // eslint-disable-line @typescript-eslint/unbound-method
      let stored = 0;
      Map.prototype.set = function <K, V>(this: Map<K, V>, k: K, v: V): Map<K, V> {
        if (typeof k === "string") stored += k.length;
        return set.call(this, k, v) as Map<K, V>;
      };
      let doc: ReturnType<typeof readConfigDocument>;
      try {
        doc = readConfigDocument(text);
      } finally {
        Map.prototype.set = set;
      }
      assert.ok(doc.ok);
      assert.ok(stored < 8 * text.length, `stored ${stored} characters of keys for a text of ${text.length}`);
      const path = [...Array.from({ length: 30 }, (_, i) => key(i % 26)), items - 1];
      assert.deepEqual(doc.locate(path), { line: 1, col: head.length + 2 * items });
      assert.deepEqual(doc.locate([...path.slice(0, 30), "nope"]), { line: 1, col: head.length + 1 });
    });

    it("an excerpt of a value reads no more of it than it shows", () => {
      let reads = 0;
      const big = new Proxy(Array.from({ length: 100_000 }, (_, i) => i), { get: (t, k, r) => (reads++, Reflect.get(t, k, r) as unknown) });
      assert.match(show(big), /^\[0,1,2,.*\.\.\.$/);
      assert.ok(reads < 1000, `read ${reads} times`);
      assert.equal(show({ a: "x".repeat(100) }), `{"a":"${"x".repeat(51)}...`);
      assert.equal(show("ab"), '"ab"');
    });
  });

  describe("protected-path patterns are bounded (each glob is matched against every changed path)", () => {
    const paths = (list: unknown[]) => parseRepoConfig(JSON.stringify({ rules: { protected_paths: { paths: list } } }));

    it("sorts patterns as the policy does: literal, DIR/**, glob", () => {
      assert.deepEqual(["CODEOWNERS", "infra/**", "**/*.pem", "a/**/b", "x\\*y", "src/[ab]"].map(globKind), ["literal", "subtree", "glob", "glob", "glob", "glob"]);
    });

    it(`more than ${MAX_GLOB_PATTERNS} globs are refused, naming the field; literals and DIR/** are not counted`, () => {
      const globs = Array.from({ length: MAX_GLOB_PATTERNS + 1 }, (_, i) => `**/*.${i}`);
      const msgs = errors(paths(globs));
      assert.equal(msgs.length, 1);
      assert.match(msgs[0] ?? "", new RegExp(`^\\.github/agent-gate\\.yml: rules\\.protected_paths\\.paths: expected at most ${MAX_GLOB_PATTERNS} patterns with wildcards other than a trailing \\*\\* .*; it has ${MAX_GLOB_PATTERNS + 1}`));
      const fine = [...globs.slice(0, MAX_GLOB_PATTERNS), ...Array.from({ length: 100 }, (_, i) => `dir${i}/**`), ...Array.from({ length: 100 }, (_, i) => `file${i}`)];
      assert.ok(paths(fine).ok);
      assert.match(errors(paths(Array.from({ length: MAX_PROTECTED_PATHS + 1 }, (_, i) => `f${i}`)))[0] ?? "", new RegExp(`rules\\.protected_paths\\.paths: expected at most ${MAX_PROTECTED_PATHS} patterns`));
    });

    it("a glob too long or with too many wildcards is refused, by entry, also inside {pattern, mode}", () => {
      const msgs = errors(paths(["x".repeat(MAX_GLOB_LENGTH + 1), { pattern: "*a".repeat(MAX_GLOB_WILDCARDS + 1), mode: "deny" }, "*a".repeat(MAX_GLOB_WILDCARDS)]));
      assert.equal(msgs.length, 2, msgs.join("\n"));
      assert.match(msgs[0] ?? "", new RegExp(`rules\\.protected_paths\\.paths\\.0: expected a glob of at most ${MAX_GLOB_LENGTH} characters; it has ${MAX_GLOB_LENGTH + 1}`));
      assert.match(msgs[1] ?? "", new RegExp(`rules\\.protected_paths\\.paths\\.1\\.pattern: expected a glob with at most ${MAX_GLOB_WILDCARDS} wildcards .*; it has ${MAX_GLOB_WILDCARDS + 1}`));
      assert.ok(paths([`${"a/".repeat(100)}**`]).ok, "a long literal DIR/** has no wildcard to count");
    });
  });
});
