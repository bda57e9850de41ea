// `agent-gate config validate`: a config and its whole `_extends` chain, offline (FILE, bases under --root) and on
// GitHub (--repo, against the stand-in), with errors by file, line and column and warnings for entries that can
// never match.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { main } from "../../src/cli/main.js";
import { neverMatching } from "../../src/cli/config-lint.js";
import { GitHubStandIn } from "../../src/demo/github/stand-in.js";

interface Finding {
  file: string;
  line?: number;
  column?: number;
  path: string;
  message: string;
}
interface Doc {
  valid: boolean;
  files: string[];
  errors: Finding[];
  warnings: Finding[];
  unchecked: string[];
}

async function validate(...args: string[]): Promise<{ code: number; out: string; err: string; doc: Doc }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(["config", "validate", ...args, "--json"], { out: (t) => out.push(t), err: (t) => err.push(t) });
  const text = await main(["config", "validate", ...args], { out: () => undefined, err: (t) => err.push(t) });
  assert.equal(text, code, "the same exit code with and without --json");
  return { code, out: out.join("\n"), err: err.join("\n"), doc: JSON.parse(out.join("\n")) as Doc };
}

const dir = mkdtempSync(join(tmpdir(), "agent-gate-config-"));
const put = (path: string, text: string): string => {
  const file = join(dir, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
};
const root = join(dir, "acme");
after(() => rmSync(dir, { recursive: true, force: true }));

describe("a config file", () => {
  test("a valid file: exit 0, no errors", async () => {
    const r = await validate(put("ok.yml", "version: 1\nrules:\n  size:\n    max_files: 20\n"));
    assert.equal(r.code, 0, r.err);
    assert.deepEqual({ valid: r.doc.valid, errors: r.doc.errors, warnings: r.doc.warnings }, { valid: true, errors: [], warnings: [] });
  });

  test("schema errors by file, line and column, every one of them", async () => {
    const file = put("bad.yml", "rules:\n  size:\n    max_files: ten\n  signers:\n    alowed: []\n");
    const r = await validate(file);
    assert.equal(r.code, 1);
    assert.deepEqual(
      r.doc.errors.map((e) => [e.file, e.line, e.column, e.path]),
      [
        [file, 3, 16, "rules.size.max_files"],
        [file, 5, 13, "rules.signers.alowed"],
      ],
    );
    assert.match(r.err, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:3:16: error: rules\\.size\\.max_files: expected a whole number >= 1, got "ten"`));
  });

  test("a YAML syntax error has its line and column", async () => {
    const r = await validate(put("syntax.yml", "rules:\n  size: [1, 2\n"));
    assert.equal(r.code, 1);
    assert.equal(r.doc.errors.length >= 1, true);
    assert.equal(typeof r.doc.errors[0]!.line, "number");
    assert.equal(typeof r.doc.errors[0]!.column, "number");
    assert.match(r.doc.errors[0]!.message, /^invalid YAML/);
  });

  test("a file past the App's 64 KiB cap is invalid as the App would find it; a missing file is exit 2", async () => {
    const big = await validate(put("big.yml", `# ${"x".repeat(70_000)}\n`));
    assert.equal(big.code, 1);
    assert.match(big.doc.errors[0]!.message, /expected at most 65536/);
    const missing = await main(["config", "validate", join(dir, "nope.yml")], { out: () => undefined, err: () => undefined });
    assert.equal(missing, 2);
  });
});

describe("the _extends chain offline", () => {
  before(() => {
    put("acme/org-policy/policies/base.yml", "_extends: shared:base.yml\nrules:\n  human_approval:\n    count: 2\n");
    put("acme/shared/base.yml", "rules:\n  size:\n    max_files: -1\n");
    put("acme/loop/a.yml", "_extends: loop:b.yml\n");
    put("acme/loop/b.yml", "_extends: loop:a.yml\n");
  });

  test("without --root each base is named as not checked (a warning at its _extends line), exit 0", async () => {
    const r = await validate(put("child.yml", "# the repository's config\n_extends: org-policy:policies/base.yml\n"));
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.doc.unchecked, ["org-policy:policies/base.yml"]);
    assert.equal(r.doc.warnings[0]!.line, 2);
    assert.match(r.doc.warnings[0]!.message, /not checked: give --root DIR holding org-policy\/policies\/base\.yml, or validate with --repo/);
  });

  test("with --root every base is read and an error is placed in the base that holds it", async () => {
    const r = await validate(join(dir, "child.yml"), "--root", root);
    assert.equal(r.code, 1);
    assert.deepEqual(r.doc.files, [join(dir, "child.yml"), join(root, "org-policy/policies/base.yml"), join(root, "shared/base.yml")]);
    assert.deepEqual(
      r.doc.errors.map((e) => [e.file, e.line, e.column, e.path]),
      [[join(root, "shared/base.yml"), 3, 16, "rules.size.max_files"]],
    );
  });

  test("a loop, a missing base and a base outside --root are errors at the _extends line", async () => {
    const loop = await validate(join(root, "loop/a.yml"), "--root", root);
    assert.equal(loop.code, 1);
    assert.match(loop.doc.errors.at(-1)!.message, /leads back to a config already in the chain|longer than 5 files/);
    const missing = await validate(put("m.yml", "version: 1\n_extends: nowhere\n"), "--root", root);
    assert.equal(missing.code, 1);
    assert.deepEqual([missing.doc.errors[0]!.line, missing.doc.errors[0]!.path], [2, "_extends"]);
    assert.match(missing.doc.errors[0]!.message, /nowhere\/\.github\/agent-gate\.yml does not exist/);
    put("secret/.github/agent-gate.yml", "rules: {}\n");
    const outside = await validate(put("o.yml", "_extends: ..:secret/.github/agent-gate.yml\n"), "--root", root);
    assert.equal(outside.code, 1);
    assert.equal(outside.doc.files.length, 1, "nothing outside --root is read");
    const foreign = await validate(put("f.yml", "_extends: other/policies\n"), "--root", root);
    assert.doesNotMatch(JSON.stringify(foreign.doc.errors), /another owner/, "the first owner a base names is taken as the file's own");
    assert.match(foreign.doc.errors[0]!.message, /policies\/\.github\/agent-gate\.yml does not exist/);
  });
});

describe("--repo: the chain on GitHub as the App reads it", () => {
  let standIn: GitHubStandIn;
  let api = "";
  before(async () => {
    const repo = (name: string, files: Record<string, string>, id: number) => ({ owner: "acme", name, id, defaultBranch: "main", files, pulls: [] });
    standIn = new GitHubStandIn([
      repo("web", { ".github/agent-gate.yml": "_extends: .github:policies/base.yml\nrules:\n  signers:\n    allowed:\n      - identity: \"https://github.com/acme/*\"\n        issuer: https://token.actions.githubusercontent.com\n" }, 1),
      repo(".github", { "policies/base.yml": "rules:\n  size:\n    max_lines: 0\n", ".github/agent-gate.yml": "version: 1\n" }, 2),
      repo("api", {}, 3),
    ]);
    api = await standIn.listen();
  });
  after(() => standIn.close());

  test("an error in the organisation's base, by its GitHub path, line and column; a warning in the repository's", async () => {
    const r = await validate("--repo", "acme/web", "--api-url", api, "--token", "t");
    assert.equal(r.code, 1, r.err);
    assert.deepEqual(r.doc.files, ["acme/web:.github/agent-gate.yml (default branch)", "acme/.github:policies/base.yml (default branch)"]);
    assert.deepEqual(
      r.doc.errors.map((e) => [e.file, e.line, e.column, e.path]),
      [["acme/.github:policies/base.yml (default branch)", 3, 16, "rules.size.max_lines"]],
    );
    assert.deepEqual(
      r.doc.warnings.map((w) => [w.line, w.path]),
      [[5, "rules.signers.allowed.0.identity"]],
    );
  });

  test("a repository without a config falls back to the organisation's, as the App does", async () => {
    const r = await validate("--repo", "acme/api", "--api-url", api, "--token", "t");
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.doc.files, ["acme/.github:.github/agent-gate.yml (default branch)"]);
  });

  test("a GitHub that cannot be reached is an operational error (exit 2, one JSON document)", async () => {
    const out: string[] = [];
    const code = await main(["config", "validate", "--repo", "acme/web", "--api-url", "http://127.0.0.1:9", "--json"], { out: (t) => out.push(t), err: () => undefined });
    assert.equal(code, 2);
    assert.equal(typeof (JSON.parse(out.join("\n")) as { error: { code: string } }).error.code, "string");
  });
});

describe("--repo: a repository or organisation config it cannot see is never \"every default applies\"", () => {
  let standIn: GitHubStandIn;
  let api = "";
  before(async () => {
    standIn = new GitHubStandIn(
      [
        { owner: "solo", name: "app", id: 11, defaultBranch: "main", files: {}, pulls: [] },
        { owner: "solo", name: "secret", id: 12, defaultBranch: "main", files: { ".github/agent-gate.yml": "rules:\n  size:\n    max_files: ten\n" }, pulls: [], private: true, installed: false },
      ],
      { repositorySelection: { solo: "selected" } },
    );
    api = await standIn.listen();
  });
  after(() => standIn.close());
  const declared = async <T>(owners: string | undefined, body: () => Promise<T>): Promise<T> => {
    const before = process.env["AGENT_GATE_OWNERS_WITHOUT_ORG_REPO"];
    if (owners === undefined) delete process.env["AGENT_GATE_OWNERS_WITHOUT_ORG_REPO"];
    else process.env["AGENT_GATE_OWNERS_WITHOUT_ORG_REPO"] = owners;
    try {
      return await body();
    } finally {
      if (before === undefined) delete process.env["AGENT_GATE_OWNERS_WITHOUT_ORG_REPO"];
      else process.env["AGENT_GATE_OWNERS_WITHOUT_ORG_REPO"] = before;
    }
  };
  const run = async (...args: string[]): Promise<{ code: number; out: string; err: string; doc: { error?: { code: string; message: string } } }> => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(["config", "validate", ...args, "--api-url", api, "--token", "t", "--json"], { out: (t) => out.push(t), err: (t) => err.push(t) });
    return { code, out: out.join("\n"), err: err.join("\n"), doc: JSON.parse(out.join("\n")) as never };
  };

  test("a repository the token cannot read (404: missing or private) is exit 2, REPO_UNREADABLE, not valid", async () => {
    const r = await declared("solo", () => run("--repo", "solo/secret"));
    assert.equal(r.code, 2, r.out + r.err);
    assert.equal(r.doc.error?.code, "REPO_UNREADABLE");
    assert.match(r.doc.error?.message ?? "", /solo\/secret cannot be read: GitHub answers 404 alike .*; expected a repository readable with the token given/);
  });

  test("an owner's .github that reads as missing counts as missing only as the App counts it: else ORG_REPO_UNCONFIRMED (exit 2)", async () => {
    const r = await declared(undefined, () => run("--repo", "solo/app"));
    assert.equal(r.code, 2, r.out + r.err);
    assert.equal(r.doc.error?.code, "ORG_REPO_UNCONFIRMED");
    assert.match(r.doc.error?.message ?? "", /solo\/\.github .* AGENT_GATE_OWNERS_WITHOUT_ORG_REPO=solo/);
    const ok = await declared("solo", () => run("--repo", "solo/app"));
    assert.equal(ok.code, 0, ok.out + ok.err);
    const text: string[] = [];
    await declared("solo", () => main(["config", "validate", "--repo", "solo/app", "--api-url", api, "--token", "t"], { out: (t) => text.push(t), err: (t) => text.push(t) }));
    assert.match(text.join("\n"), /solo\/app has no \.github\/agent-gate\.yml on its default branch, nor solo\/\.github: every default applies/);
  });
});

describe("entries that can never match", () => {
  const lint = (config: unknown): string[] => neverMatching(config, "2026-06-01").map((l) => `${l.path.join(".")}: ${l.message}`);

  test("an exact signer identity with a * or a regular expression, an issuer that is no URL", () => {
    const got = lint({
      rules: {
        signers: {
          allowed: [
            { identity: "https://github.com/acme/*", issuer: "https://token.actions.githubusercontent.com" },
            { identity: "^https://github\\.com/acme/.+$", issuer: "https://token.actions.githubusercontent.com" },
            { identity: "https://github.com/acme/app/.github/workflows/agent.yml@refs/heads/main", issuer: "token.actions.githubusercontent.com" },
            { identity: "https://github.com/acme/app/.github/workflows/agent.yml@refs/heads/main", issuer: "https://token.actions.githubusercontent.com" },
          ],
          repositories: { "acme/web": [{ identity: "ci@acme.*", issuer: "https://accounts.google.com" }] },
        },
      },
      deployments: { environments: { production: { signers: [{ identity: "https://github.com/acme/(a|b)", issuer: "https://token.actions.githubusercontent.com" }], builders: ["https://github.com/*"] } } },
    });
    assert.equal(got.length, 6, got.join("\n"));
    assert.match(got[0]!, /^rules\.signers\.allowed\.0\.identity: .*holds "\*": it is compared exactly/);
    assert.match(got[1]!, /^rules\.signers\.allowed\.1\.identity: .*looks like a regular expression/);
    assert.match(got[2]!, /^rules\.signers\.allowed\.2\.issuer: .*is not an https URL/);
    assert.match(got[3]!, /^rules\.signers\.repositories\.acme\/web\.0\.identity: /);
    assert.match(got[4]!, /^deployments\.environments\.production\.signers\.0\.identity: .*regular expression/);
    assert.match(got[5]!, /^deployments\.environments\.production\.builders\.0: /);
  });

  test("protected-path globs no listed path can have; plain ones pass", () => {
    const got = lint({ rules: { protected_paths: { paths: ["infra//**", "/infra/**", "./infra/**", "infra/", { pattern: "infra\\secrets" }, "infra/**", ".github/workflows/*.yml", "CODEOWNERS"] } } });
    assert.deepEqual(
      got.map((g) => g.split(":")[0]),
      ["rules.protected_paths.paths.0", "rules.protected_paths.paths.1", "rules.protected_paths.paths.2", "rules.protected_paths.paths.3", "rules.protected_paths.paths.4.pattern"],
    );
  });

  test("branch prefixes as refs or with characters git refuses, labels and emails with *, an expired model entry", () => {
    const got = lint({
      agents: { branch_prefixes: ["refs/heads/claude/", "claude*/", "codex/"], labels: ["agent:*", "agent (claude)"], co_author_emails: ["*@anthropic.com"] },
      rules: { model_governance: { allowed: [{ model: "anthropic/*" }, { model: "openai/gpt-5", expires: "2026-01-01" }, { model: "openai/gpt-5", expires: "2027-01-01" }] } },
    });
    assert.deepEqual(
      got.map((g) => g.split(":")[0]),
      ["rules.model_governance.allowed.0.model", "rules.model_governance.allowed.1.expires", "agents.branch_prefixes.0", "agents.branch_prefixes.1", "agents.co_author_emails.0", "agents.labels.0"],
    );
  });

  test("the defaults warn about nothing", () => {
    assert.deepEqual(lint({}), []);
  });
});
