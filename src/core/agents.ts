// Which commits and pull requests an AI agent made: configurable signals with their reasons, for the policy.
// Detection only tightens, so an agent account matches on its login OR its numeric id (a renamed bot keeps its id;
// a login is never re-registered as a human's: `[bot]` logins are Apps'). A known non-agent account, which loosens,
// matches only on login AND id. E-mail addresses match in full, with the display name's first word when the
// address alone is shared (noreply@anthropic.com: "Claude", "Claude Opus 4.5"); a GitHub noreply address
// (`ID+LOGIN@users.noreply.github.com`, `LOGIN@users.noreply.github.com`) whose login or id is a known agent
// account's is that agent's, whatever account GitHub resolves it to (the Claude Code Action commits as
// `claude[bot] <41898282+claude[bot]@...>`, which GitHub resolves to github-actions[bot]); and an author or
// committer whose display name is exactly a known agent's `[bot]` login is that agent's. Never any other bare
// display name or a domain alone: GitHub user `claude` (id 81847) is a human. A known non-agent account
// (dependabot, renovate) never outweighs an agent signal of a commit (its author is only an address anyone can
// write) and outweighs only the branch name of a PR it opened.
import type { BodyMarkerClaim, TrailerClaim } from "./trailers.js";

export interface AgentAccount {
  readonly login: string;
  readonly id: number;
  readonly agent: string;
}

export interface AgentEmail {
  readonly email: string;
  readonly name?: string; // required display name (case-insensitive; or its first word(s), "Claude Opus 4.5") when the address is shared
  readonly agent: string;
}

export interface AgentDetectionConfig {
  readonly accounts: readonly AgentAccount[];
  readonly nonAgents: readonly AgentAccount[]; // automation that is not an AI agent (dependabot, ...)
  readonly branchPrefixes: readonly { readonly prefix: string; readonly agent: string }[];
  readonly emails: readonly AgentEmail[];
  readonly labels: readonly { readonly name: string; readonly agent: string }[];
  readonly trailers: readonly string[]; // trailer keys whose presence claims agent involvement
  readonly bodyMarkers: boolean;
}

export const DEFAULT_AGENT_ACCOUNTS: readonly AgentAccount[] = [
  { login: "copilot-swe-agent[bot]", id: 198982749, agent: "copilot" },
  { login: "Copilot", id: 198982749, agent: "copilot" },
  { login: "claude[bot]", id: 209825114, agent: "claude-code" },
  { login: "devin-ai-integration[bot]", id: 158243242, agent: "devin" },
  { login: "cursor[bot]", id: 206951365, agent: "cursor" },
  { login: "google-labs-jules[bot]", id: 161369871, agent: "jules" },
  { login: "amazon-q-developer[bot]", id: 208079219, agent: "amazon-q" },
  { login: "sweep-ai[bot]", id: 128439645, agent: "sweep" },
  { login: "chatgpt-codex-connector[bot]", id: 199175422, agent: "codex" },
];

export const DEFAULT_NON_AGENTS: readonly AgentAccount[] = [
  { login: "dependabot[bot]", id: 49699333, agent: "dependabot" },
  { login: "renovate[bot]", id: 29139614, agent: "renovate" },
  // Not github-actions[bot]: any workflow acts as it, agents' included (the Claude Code Action opens PRs as it).
];

export const DEFAULT_AGENT_CONFIG: AgentDetectionConfig = {
  accounts: DEFAULT_AGENT_ACCOUNTS,
  nonAgents: DEFAULT_NON_AGENTS,
  branchPrefixes: [
    { prefix: "copilot/", agent: "copilot" },
    { prefix: "codex/", agent: "codex" },
    { prefix: "claude/", agent: "claude-code" },
    { prefix: "devin/", agent: "devin" },
    { prefix: "cursor/", agent: "cursor" },
    { prefix: "aider/", agent: "aider" },
    { prefix: "agent/", agent: "agent" }, // agent-gate's own example workflow (docs/examples/agent-workflow.yml)
  ],
  emails: [
    { email: "noreply@anthropic.com", name: "Claude", agent: "claude-code" },
    { email: "noreply@openai.com", name: "Codex", agent: "codex" },
    { email: "cursoragent@cursor.com", agent: "cursor" },
    { email: "aider@aider.chat", agent: "aider" },
    { email: "openhands@all-hands.dev", agent: "openhands" },
    { email: "198982749+Copilot@users.noreply.github.com", agent: "copilot" },
    { email: "175728472+Copilot@users.noreply.github.com", agent: "copilot" }, // Copilot's suggestions and Autofix
    { email: "223556219+Copilot@users.noreply.github.com", agent: "copilot" }, // Copilot CLI and IDE agents
    // The Claude Code Action's default git identity (action.yml bot_id 41898282, bot_name claude[bot]): GitHub
    // resolves the address to github-actions[bot], not to claude[bot].
    { email: "41898282+claude[bot]@users.noreply.github.com", agent: "claude-code" },
  ],
  labels: [],
  trailers: ["Assisted-by", "Generated-by"],
  bodyMarkers: true,
};

/**
 * Repository configuration adds to the defaults; it never removes a default agent, and never loosens one: an
 * added entry for an account, address, prefix or label the defaults already know is dropped, so a default's
 * constraint (e.g. the display name a shared noreply address must carry) still applies.
 */
export function withConfiguredAgents(
  extra: Partial<Omit<AgentDetectionConfig, "bodyMarkers">> & { bodyMarkers?: boolean },
  base: AgentDetectionConfig = DEFAULT_AGENT_CONFIG,
): AgentDetectionConfig {
  const add = <T>(known: readonly T[], more: readonly T[] | undefined, key: (x: T) => string): T[] => {
    const seen = new Set(known.map(key));
    return [...known, ...(more ?? []).filter((x) => !seen.has(key(x)) && (seen.add(key(x)), true))];
  };
  return {
    accounts: add(base.accounts, extra.accounts, (a) => String(a.id)),
    nonAgents: add(base.nonAgents, extra.nonAgents, (a) => String(a.id)),
    branchPrefixes: add(base.branchPrefixes, extra.branchPrefixes, (b) => b.prefix),
    emails: add(base.emails, extra.emails, (e) => e.email.toLowerCase()),
    labels: add(base.labels, extra.labels, (l) => l.name.toLowerCase()),
    trailers: add(base.trailers, extra.trailers, (t) => t.toLowerCase()),
    bodyMarkers: extra.bodyMarkers ?? base.bodyMarkers,
  };
}

/** In precedence order (strongest first), as detectors in the wild rank them. */
export const SIGNALS = ["provenance", "login", "branch-prefix", "co-author-email", "author-email", "author-name", "label", "trailer", "body-marker", "commit"] as const;
export type AgentSignal = (typeof SIGNALS)[number];

export interface AgentReason {
  readonly signal: AgentSignal;
  readonly agent: string;
  readonly detail: string;
}

export interface AgentDetection {
  readonly isAgent: boolean;
  readonly agent?: string; // from the strongest signal
  readonly reasons: readonly AgentReason[]; // strongest first
  readonly nonAgent?: string; // a known non-agent account (dependabot, renovate): outweighs only a PR's branch name
}

export interface GitHubUser {
  readonly login: string;
  readonly id: number;
}

export interface CommitIdentity {
  readonly name: string;
  readonly email: string;
  readonly user?: GitHubUser; // the GitHub account the address resolves to, when any
}

export interface CommitForDetection {
  readonly sha: string;
  readonly author: CommitIdentity;
  readonly committer?: CommitIdentity;
  readonly claims: readonly TrailerClaim[];
}

export interface PullRequestForDetection {
  readonly author: GitHubUser;
  readonly headRef: string;
  readonly labels: readonly string[];
  readonly bodyClaims: readonly BodyMarkerClaim[];
  readonly commits: readonly { readonly sha: string; readonly detection: AgentDetection }[];
}

/** A known non-agent account (it loosens: it outweighs a PR's branch name): login and id must both match. */
function account(list: readonly AgentAccount[], user: GitHubUser | undefined): AgentAccount | undefined {
  if (!user) return undefined;
  const login = user.login.toLowerCase();
  return list.find((a) => a.id === user.id && a.login.toLowerCase() === login);
}

/**
 * A known agent account (detection only tightens): login and id both, else the id alone (a renamed bot), else the
 * login alone (case-insensitive). The detail names the account as GitHub gave it and what matched.
 */
function agentAccount(list: readonly AgentAccount[], user: GitHubUser | undefined): { account: AgentAccount; detail: string } | undefined {
  if (!user) return undefined;
  const login = user.login.toLowerCase();
  const both = list.find((a) => a.id === user.id && a.login.toLowerCase() === login);
  if (both) return { account: both, detail: `${user.login} (id ${user.id})` };
  const byId = list.find((a) => a.id === user.id);
  if (byId) return { account: byId, detail: `${user.login} (id ${user.id}, the id of ${byId.login})` };
  const byLogin = list.find((a) => a.login.toLowerCase() === login);
  if (byLogin) return { account: byLogin, detail: `${user.login} (id ${user.id}; the login of ${byLogin.login}, id ${byLogin.id})` };
  return undefined;
}

const NOREPLY = "@users.noreply.github.com";

/** The login (lower case) and id a GitHub noreply address names: `ID+LOGIN@users.noreply.github.com` or `LOGIN@...`. */
export function noreplyAccount(address: string | undefined): { login: string; id?: number } | undefined {
  const addr = (address ?? "").trim().toLowerCase();
  if (!addr.endsWith(NOREPLY) || addr.length > 200) return undefined;
  const local = addr.slice(0, -NOREPLY.length);
  const plus = local.indexOf("+");
  const login = plus === -1 ? local : local.slice(plus + 1);
  const idText = plus === -1 ? "" : local.slice(0, plus);
  const id = /^[0-9]{1,15}$/.test(idText) ? Number(idText) : undefined;
  return login === "" ? undefined : { login, ...(id !== undefined ? { id } : {}) };
}

/** The known agent account a GitHub noreply address names by its login (or, failing that, its id). */
function noreplyAgent(list: readonly AgentAccount[], address: string | undefined): AgentAccount | undefined {
  const named = noreplyAccount(address);
  if (!named) return undefined;
  return list.find((a) => a.login.toLowerCase() === named.login) ?? (named.id !== undefined ? list.find((a) => a.id === named.id) : undefined);
}

/** The known agent whose `[bot]` login a display name is exactly ("claude[bot]"): Apps' logins, no person's name. */
function botNameAgent(list: readonly AgentAccount[], name: string | undefined): AgentAccount | undefined {
  const have = (name ?? "").trim().toLowerCase();
  if (!have.endsWith("[bot]")) return undefined;
  return list.find((a) => a.login.toLowerCase() === have);
}

/** The display name is the required one, or starts with it as whole words ("Claude Opus 4.5", "Codex (gpt-5)"). */
function nameMatches(required: string, given: string | undefined): boolean {
  const want = required.trim().toLowerCase();
  const have = (given ?? "").trim().toLowerCase().replace(/\s+/g, " ");
  return have === want || (have.startsWith(want) && /^[\s(]/.test(have.slice(want.length)));
}

function email(list: readonly AgentEmail[], name: string | undefined, address: string | undefined): AgentEmail | undefined {
  if (!address) return undefined;
  const addr = address.trim().toLowerCase();
  return list.find((e) => e.email.toLowerCase() === addr && (e.name === undefined || nameMatches(e.name, name)));
}

function conclude(reasons: AgentReason[], nonAgent: AgentAccount | undefined): AgentDetection {
  const rank = (r: AgentReason): number => SIGNALS.indexOf(r.signal);
  const sorted = [...reasons].sort((a, b) => rank(a) - rank(b));
  const first = sorted[0];
  const known = nonAgent ? { nonAgent: nonAgent.login } : {};
  return first ? { isAgent: true, agent: first.agent, reasons: sorted, ...known } : { isAgent: false, reasons: [], ...known };
}

/** Agent signals on one commit: the author's and committer's accounts and addresses, co-authors, agent trailers. */
export function detectCommitAgent(commit: CommitForDetection, config: AgentDetectionConfig = DEFAULT_AGENT_CONFIG): AgentDetection {
  const reasons: AgentReason[] = [];
  for (const [role, who] of [["author", commit.author], ["committer", commit.committer]] as const) {
    if (!who) continue;
    const byLogin = agentAccount(config.accounts, who.user);
    if (byLogin) reasons.push({ signal: "login", agent: byLogin.account.agent, detail: `${role} ${byLogin.detail}` });
    const byEmail = email(config.emails, who.name, who.email);
    const byNoreply = byEmail ? undefined : noreplyAgent(config.accounts, who.email);
    if (byEmail) reasons.push({ signal: "author-email", agent: byEmail.agent, detail: `${role} e-mail ${byEmail.email}` });
    else if (byNoreply) reasons.push({ signal: "author-email", agent: byNoreply.agent, detail: `${role} e-mail ${who.email.trim()} (GitHub noreply address of ${byNoreply.login})` });
    const byName = botNameAgent(config.accounts, who.name);
    if (byName) reasons.push({ signal: "author-name", agent: byName.agent, detail: `${role} name ${who.name.trim()}` });
  }
  const trailerKeys = new Set(config.trailers.map((t) => t.toLowerCase()));
  for (const claim of commit.claims) {
    if (claim.kind === "co-authored-by") {
      const match = email(config.emails, claim.name, claim.email);
      const noreply = match ? undefined : noreplyAgent(config.accounts, claim.email);
      if (match) reasons.push({ signal: "co-author-email", agent: match.agent, detail: `Co-authored-by ${match.email}` });
      else if (noreply) reasons.push({ signal: "co-author-email", agent: noreply.agent, detail: `Co-authored-by ${(claim.email ?? "").trim()} (GitHub noreply address of ${noreply.login})` });
    } else if (claim.kind === "assisted-by" && trailerKeys.has("assisted-by")) {
      reasons.push({ signal: "trailer", agent: claim.agent, detail: claim.raw });
    } else if (claim.kind === "generated-by" && trailerKeys.has("generated-by")) {
      reasons.push({ signal: "trailer", agent: claim.generator, detail: claim.raw });
    }
  }
  return conclude(reasons, account(config.nonAgents, commit.author.user));
}

/** Agent signals on a pull request: its author's account, head branch prefix, labels, body markers, its commits. */
export function detectPullRequestAgent(
  pr: PullRequestForDetection,
  config: AgentDetectionConfig = DEFAULT_AGENT_CONFIG,
): AgentDetection {
  const reasons: AgentReason[] = [];
  const byLogin = agentAccount(config.accounts, pr.author);
  if (byLogin) reasons.push({ signal: "login", agent: byLogin.account.agent, detail: `opened by ${byLogin.detail}` });
  const prefix = config.branchPrefixes.find((b) => pr.headRef.startsWith(b.prefix));
  if (prefix) reasons.push({ signal: "branch-prefix", agent: prefix.agent, detail: `head branch starts with ${prefix.prefix}` });
  const labels = new Set(pr.labels.map((l) => l.toLowerCase()));
  for (const l of config.labels) {
    if (labels.has(l.name.toLowerCase())) reasons.push({ signal: "label", agent: l.agent, detail: `label ${l.name}` });
  }
  if (config.bodyMarkers) {
    for (const m of pr.bodyClaims) reasons.push({ signal: "body-marker", agent: m.agent, detail: m.raw });
  }
  const agentCommits = pr.commits.filter((c) => c.detection.isAgent);
  const firstAgentCommit = agentCommits[0];
  if (firstAgentCommit?.detection.agent) {
    reasons.push({
      signal: "commit",
      agent: firstAgentCommit.detection.agent,
      detail: `${agentCommits.length} of ${pr.commits.length} commits show agent signals`,
    });
  }
  // A known non-agent opener (GitHub vouches for who opened the PR) outweighs only its branch's name; any other
  // signal still makes the PR an agent's.
  const nonAgent = account(config.nonAgents, pr.author);
  return conclude(nonAgent ? reasons.filter((r) => r.signal !== "branch-prefix") : reasons, nonAgent);
}
