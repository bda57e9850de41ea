import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_AGENT_CONFIG, detectCommitAgent, detectPullRequestAgent, withConfiguredAgents } from "../../src/core/agents.js";
import type { AgentDetection, CommitForDetection, PullRequestForDetection } from "../../src/core/agents.js";
import { bodyMarkerClaims, trailerClaims } from "../../src/core/trailers.js";

const human = { name: "Bob", email: "bob@example.com", user: { login: "bob", id: 5 } };
const commit = (over: Partial<CommitForDetection> = {}): CommitForDetection => ({ sha: "a".repeat(40), author: human, claims: [], ...over });
const pr = (over: Partial<PullRequestForDetection> = {}): PullRequestForDetection => ({
  author: { login: "bob", id: 5 },
  headRef: "fix-login",
  labels: [],
  bodyClaims: [],
  commits: [],
  ...over,
});
const signals = (d: AgentDetection) => d.reasons.map((r) => r.signal);

describe("commit detection", () => {
  test("a human commit is not an agent's", () => {
    assert.deepEqual(detectCommitAgent(commit()), { isAgent: false, reasons: [] });
  });

  test("the Copilot agent account matches on login and id", () => {
    const d = detectCommitAgent(commit({ author: { name: "Copilot", email: "198982749+Copilot@users.noreply.github.com", user: { login: "Copilot", id: 198982749 } } }));
    assert.equal(d.isAgent, true);
    assert.equal(d.agent, "copilot");
    assert.deepEqual(signals(d), ["login", "author-email"]);
  });

  test("an agent's login with another id, or its id under another login (a renamed bot), is an agent: detection only tightens", () => {
    const byLogin = detectCommitAgent(commit({ author: { name: "claude", email: "x@example.com", user: { login: "Claude[bot]", id: 1 } } }));
    assert.equal(byLogin.agent, "claude-code");
    assert.deepEqual(byLogin.reasons, [{ signal: "login", agent: "claude-code", detail: "author Claude[bot] (id 1; the login of claude[bot], id 209825114)" }]);
    const byId = detectCommitAgent(commit({ author: { name: "Devin", email: "x@example.com", user: { login: "devin-ai[bot]", id: 158243242 } } }));
    assert.equal(byId.agent, "devin");
    assert.deepEqual(byId.reasons, [{ signal: "login", agent: "devin", detail: "author devin-ai[bot] (id 158243242, the id of devin-ai-integration[bot])" }]);
    const renamedOpener = detectPullRequestAgent(pr({ author: { login: "devin-ai[bot]", id: 158243242 } }));
    assert.equal(renamedOpener.agent, "devin");
    const configured = withConfiguredAgents({ accounts: [{ login: "acme-agent[bot]", id: 777, agent: "configured" }] });
    assert.equal(detectPullRequestAgent(pr({ author: { login: "acme-agent-v2[bot]", id: 777 } }), configured).isAgent, true);
    assert.equal(detectPullRequestAgent(pr({ author: { login: "ACME-AGENT[bot]", id: 778 } }), configured).isAgent, true);
  });

  test("a known non-agent still matches only on login and id: a renamed dependabot no longer outweighs a branch name", () => {
    const d = detectPullRequestAgent(pr({ author: { login: "dependabot-renamed[bot]", id: 49699333 }, headRef: "claude/x" }));
    assert.equal(d.isAgent, true);
    assert.equal(d.nonAgent, undefined);
  });

  test("GitHub user `claude` (id 81847) is a human", () => {
    const d = detectCommitAgent(commit({ author: { name: "Claude", email: "claude@example.com", user: { login: "claude", id: 81847 } } }));
    assert.equal(d.isAgent, false);
  });

  test("Claude Code's co-author trailer matches on address and name", () => {
    const claims = trailerClaims("fix\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n");
    const d = detectCommitAgent(commit({ claims }));
    assert.equal(d.agent, "claude-code");
    assert.deepEqual(d.reasons, [{ signal: "co-author-email", agent: "claude-code", detail: "Co-authored-by noreply@anthropic.com" }]);
  });

  test("the shared noreply address with another name, or the noreply domain alone, is not an agent", () => {
    for (const trailer of ["Co-authored-by: Mallory <noreply@anthropic.com>", "Co-authored-by: Claude <claude@users.noreply.github.com>", "Co-authored-by: Claude"]) {
      assert.equal(detectCommitAgent(commit({ claims: trailerClaims(`fix\n\n${trailer}\n`) })).isAgent, false, trailer);
    }
  });

  test("Cursor, Aider and Copilot co-author addresses", () => {
    for (const [trailer, agent] of [
      ["Co-authored-by: Cursor Agent <cursoragent@cursor.com>", "cursor"],
      ["Co-authored-by: aider (anthropic/claude-sonnet-4-5) <aider@aider.chat>", "aider"],
      ["Co-authored-by: Copilot <198982749+Copilot@users.noreply.github.com>", "copilot"],
    ] as const) {
      assert.equal(detectCommitAgent(commit({ claims: trailerClaims(`fix\n\n${trailer}\n`) })).agent, agent, trailer);
    }
  });

  test("Assisted-by and Generated-by trailers are agent signals (weaker than addresses)", () => {
    const claims = trailerClaims("fix\n\nAssisted-by: cursor:openai/gpt-5\nCo-authored-by: Claude <noreply@anthropic.com>\n");
    const d = detectCommitAgent(commit({ claims }));
    assert.deepEqual(signals(d), ["co-author-email", "trailer"]);
    assert.equal(d.agent, "claude-code", "the strongest signal names the agent");
  });

  test("dependabot is a known non-agent", () => {
    const d = detectCommitAgent(commit({ author: { name: "dependabot[bot]", email: "49699333+dependabot[bot]@users.noreply.github.com", user: { login: "dependabot[bot]", id: 49699333 } } }));
    assert.equal(d.isAgent, false);
    assert.equal(d.nonAgent, "dependabot[bot]");
  });

  test("configuration adds accounts, e-mail addresses and trailers", () => {
    const config = withConfiguredAgents({
      accounts: [{ login: "openhands-agent", id: 4242, agent: "openhands" }],
      trailers: ["X-Agent"],
    });
    assert.equal(config.accounts.length, DEFAULT_AGENT_CONFIG.accounts.length + 1);
    const d = detectCommitAgent(commit({ author: { name: "oh", email: "oh@example.com", user: { login: "OpenHands-Agent", id: 4242 } } }), config);
    assert.equal(d.agent, "openhands", "logins compare case-insensitively");
  });
});

describe("pull request detection", () => {
  test("a human PR with human commits", () => {
    const d = detectPullRequestAgent(pr({ commits: [{ sha: "a", detection: { isAgent: false, reasons: [] } }] }));
    assert.equal(d.isAgent, false);
  });

  test("precedence: login > branch prefix > co-author e-mail > body marker", () => {
    const agentCommit = detectCommitAgent(commit({ claims: trailerClaims("x\n\nCo-authored-by: Cursor Agent <cursoragent@cursor.com>\n") }));
    const d = detectPullRequestAgent(
      pr({
        author: { login: "devin-ai-integration[bot]", id: 158243242 },
        headRef: "claude/fix",
        bodyClaims: bodyMarkerClaims("Requested by: @alice"),
        commits: [{ sha: "a", detection: agentCommit }],
      }),
    );
    assert.deepEqual(signals(d), ["login", "branch-prefix", "body-marker", "commit"]);
    assert.equal(d.agent, "devin");
    const byBranch = detectPullRequestAgent(pr({ headRef: "codex/task-1", bodyClaims: bodyMarkerClaims("Generated with Claude Code") }));
    assert.equal(byBranch.agent, "codex");
  });

  test("a body marker alone flags the PR (claims raise scrutiny, never lower it)", () => {
    const d = detectPullRequestAgent(pr({ bodyClaims: bodyMarkerClaims("🤖 Generated with [Claude Code](https://claude.ai/code)") }));
    assert.equal(d.isAgent, true);
    assert.deepEqual(signals(d), ["body-marker"]);
  });

  test("configured labels flag the PR", () => {
    const config = withConfiguredAgents({ labels: [{ name: "sweep", agent: "sweep" }] });
    assert.equal(detectPullRequestAgent(pr({ labels: ["Sweep"] }), config).agent, "sweep");
    assert.equal(detectPullRequestAgent(pr({ labels: ["sweep"] })).isAgent, false, "no label is an agent label by default");
  });

  test("renovate's PR is not an agent's, even on an agent-looking branch", () => {
    const d = detectPullRequestAgent(pr({ author: { login: "renovate[bot]", id: 29139614 }, headRef: "codex/renovate-lookalike" }));
    assert.equal(d.isAgent, false);
    assert.equal(d.nonAgent, "renovate[bot]");
  });

  test("agent commits pushed to a non-agent's PR still flag it", () => {
    const agentCommit = detectCommitAgent(commit({ claims: trailerClaims("x\n\nCo-authored-by: Claude <noreply@anthropic.com>\n") }));
    const d = detectPullRequestAgent(pr({ author: { login: "github-actions[bot]", id: 41898282 }, commits: [{ sha: "a", detection: agentCommit }] }));
    assert.equal(d.isAgent, true);
    assert.deepEqual(signals(d), ["commit"]);
  });
});

test("configured agents cannot loosen a default: the shared Anthropic noreply address still needs the name Claude", () => {
  // The config schema's defaults repeat the address without a name; merged, the default's constraint must hold.
  const config = withConfiguredAgents({ emails: [{ email: "noreply@anthropic.com", agent: "configured" }, { email: "bot@acme.example", agent: "configured" }] });
  assert.equal(config.emails.filter((e) => e.email === "noreply@anthropic.com").length, 1);
  const human = detectCommitAgent({ sha: "a".repeat(40), author: { name: "Dana", email: "noreply@anthropic.com" }, claims: [] }, config);
  assert.equal(human.isAgent, false, "an address alone, without the agent's name, is not an agent signal");
  const added = detectCommitAgent({ sha: "b".repeat(40), author: { name: "Build Bot", email: "bot@acme.example" }, claims: [] }, config);
  assert.equal(added.isAgent, true, "a new address from the config is added");
});

describe("what a review found slipping past detection", () => {
  const dependabot = { name: "dependabot[bot]", email: "49699333+dependabot[bot]@users.noreply.github.com", user: { login: "dependabot[bot]", id: 49699333 } };

  test("a commit whose author address is dependabot's still counts its agent trailer (an author is only an address)", () => {
    const d = detectCommitAgent(commit({ author: dependabot, claims: trailerClaims("bump\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n") }));
    assert.equal(d.isAgent, true);
    assert.deepEqual(signals(d), ["co-author-email"]);
    assert.equal(d.nonAgent, "dependabot[bot]", "shown, not obeyed");
  });

  test("the display names agents really write after the shared noreply addresses match on their first word", () => {
    for (const trailer of [
      "Co-Authored-By: Claude Opus 4.5 <noreply@anthropic.com>",
      "Co-Authored-By: Claude Sonnet 4.5 <noreply@anthropic.com>",
      "Co-Authored-By: Claude Opus 4.7 (1M context) <noreply@anthropic.com>",
      "Co-authored-by: Codex (gpt-5.6-luna) <noreply@openai.com>",
      "Co-authored-by: Copilot <223556219+Copilot@users.noreply.github.com>",
      "Co-authored-by: Copilot Autofix powered by AI <175728472+Copilot@users.noreply.github.com>",
    ]) {
      assert.equal(detectCommitAgent(commit({ claims: trailerClaims(`x\n\n${trailer}\n`) })).isAgent, true, trailer);
    }
    for (const trailer of ["Co-Authored-By: Claudette <noreply@anthropic.com>", "Co-Authored-By: Dana <noreply@anthropic.com>", "Co-authored-by: Codexer <noreply@openai.com>"]) {
      assert.equal(detectCommitAgent(commit({ claims: trailerClaims(`x\n\n${trailer}\n`) })).isAgent, false, trailer);
    }
  });

  test("an agent committer counts like an agent author (account or address)", () => {
    const byAccount = detectCommitAgent(commit({ committer: { name: "claude[bot]", email: "209825114+claude[bot]@users.noreply.github.com", user: { login: "claude[bot]", id: 209825114 } } }));
    assert.equal(byAccount.isAgent, true);
    assert.match(byAccount.reasons[0]!.detail, /^committer claude\[bot\]/);
    assert.equal(detectCommitAgent(commit({ committer: { name: "Claude", email: "noreply@anthropic.com" } })).isAgent, true);
    assert.equal(detectCommitAgent(commit({ committer: { name: "GitHub", email: "noreply@github.com", user: { login: "web-flow", id: 19864447 } } })).isAgent, false);
  });

  test("the Claude Code Action's default identity, which GitHub resolves to github-actions[bot], is claude-code's", () => {
    const actions = { login: "github-actions[bot]", id: 41898282 };
    const d = detectCommitAgent(commit({ author: { name: "claude[bot]", email: "41898282+claude[bot]@users.noreply.github.com", user: actions } }));
    assert.equal(d.agent, "claude-code");
    assert.deepEqual(signals(d), ["author-email", "author-name"]);
    assert.equal(d.reasons[0]!.detail, "author e-mail 41898282+claude[bot]@users.noreply.github.com");
    // Unresolved, and as the committer of a human's commit.
    assert.equal(detectCommitAgent(commit({ author: { name: "claude[bot]", email: "41898282+claude[bot]@users.noreply.github.com" } })).agent, "claude-code");
    assert.equal(detectCommitAgent(commit({ committer: { name: "claude[bot]", email: "41898282+claude[bot]@users.noreply.github.com", user: actions } })).agent, "claude-code");
  });

  test("a GitHub noreply address whose login (any case) or id is a known agent account's is that agent's, whatever account it resolves to", () => {
    const actions = { login: "github-actions[bot]", id: 41898282 };
    for (const [address, agent] of [
      ["12345+claude[bot]@users.noreply.github.com", "claude-code"],
      ["Claude[bot]@users.noreply.github.com", "claude-code"],
      ["41898282+Devin-AI-Integration[bot]@users.noreply.github.com", "devin"],
      ["1+copilot-swe-agent[bot]@users.noreply.github.com", "copilot"],
      ["1+copilot@users.noreply.github.com", "copilot"],
      ["161369871+someone-else[bot]@users.noreply.github.com", "jules"],
    ] as const) {
      const d = detectCommitAgent(commit({ author: { name: "Build", email: address, user: actions } }));
      assert.equal(d.agent, agent, address);
      assert.match(d.reasons[0]!.detail, /GitHub noreply address of /, address);
    }
    const configured = withConfiguredAgents({ accounts: [{ login: "acme-agent[bot]", id: 777, agent: "configured" }] });
    assert.equal(detectCommitAgent(commit({ author: { name: "Build", email: "9+acme-agent[bot]@users.noreply.github.com" } }), configured).agent, "configured");
    const coAuthored = detectCommitAgent(commit({ claims: trailerClaims("x\n\nCo-authored-by: claude[bot] <41898282+claude[bot]@users.noreply.github.com>\n") }));
    assert.deepEqual(signals(coAuthored), ["co-author-email"]);
    assert.equal(coAuthored.agent, "claude-code");
    // Not an agent's: human `claude` (81847), another bot, github-actions' own address, the domain alone.
    for (const address of ["81847+claude@users.noreply.github.com", "claude@users.noreply.github.com", "41898282+github-actions[bot]@users.noreply.github.com", "49699333+dependabot[bot]@users.noreply.github.com", "@users.noreply.github.com", "claude[bot]@example.com"]) {
      assert.equal(detectCommitAgent(commit({ author: { name: "Build", email: address, user: actions } })).isAgent, false, address);
    }
  });

  test("an author or committer named exactly like a known agent's [bot] login is that agent's; other names are not", () => {
    for (const name of ["claude[bot]", " Copilot-SWE-Agent[bot] ", "devin-ai-integration[bot]"]) {
      const d = detectCommitAgent(commit({ author: { name, email: "ci@acme.example", user: { login: "github-actions[bot]", id: 41898282 } } }));
      assert.deepEqual(signals(d), ["author-name"], name);
    }
    for (const name of ["Claude", "claude", "Copilot", "github-actions[bot]", "claude[bot] (fork)", "dependabot[bot]"]) {
      assert.equal(detectCommitAgent(commit({ author: { name, email: "ci@acme.example" } })).isAgent, false, name);
    }
  });

  test("github-actions[bot] is no non-agent (agents run as it): its PR on an agent's branch is an agent's", () => {
    const d = detectPullRequestAgent(pr({ author: { login: "github-actions[bot]", id: 41898282 }, headRef: "claude/issue-2" }));
    assert.equal(d.isAgent, true);
    assert.deepEqual(signals(d), ["branch-prefix"]);
  });

  test("a known non-agent opener outweighs only the branch name: a body marker still makes it an agent's PR", () => {
    const d = detectPullRequestAgent(pr({ author: { login: "renovate[bot]", id: 29139614 }, headRef: "codex/x", bodyClaims: bodyMarkerClaims("🤖 Generated with [Claude Code](https://claude.com/claude-code)") }));
    assert.equal(d.isAgent, true);
    assert.deepEqual(signals(d), ["body-marker"]);
  });
});

test("on an agent's pull request every commit needs provenance, a dependabot-authored one included", async () => {
  const { commitIsAgent } = await import("../../src/core/pull-request-input.js");
  type Args = Parameters<typeof commitIsAgent>;
  const bump = { detection: detectCommitAgent(commit({ author: { name: "dependabot[bot]", email: "49699333+dependabot[bot]@users.noreply.github.com", user: { login: "dependabot[bot]", id: 49699333 } } })) } as unknown as Args[0];
  assert.equal(commitIsAgent(bump, { detection: { isAgent: true, reasons: [] } } as unknown as Args[1]), true);
  assert.equal(commitIsAgent(bump, { detection: { isAgent: false, reasons: [] } } as unknown as Args[1]), false);
});
