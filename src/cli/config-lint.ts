// Config entries that are valid but can never match anything, so that a rule quietly never applies (or never
// allows): signer identities and issuers are compared exactly (a `*` or a regular expression matches only itself),
// GitHub Actions certificates name https://github.com/ workflow URLs (an identity or a pattern that cannot start so,
// an owner that is no GitHub login, a workflow outside .github/workflows/, a ref without refs/ never match),
// protected-path globs are matched against paths GitHub lists ("a/b", never "/a", "a//b" or "a/"), branch prefixes
// are compared with the branch's name ("claude/", never "refs/heads/claude/"), and a model entry past its
// `expires` date no longer allows anything.
import { requiredChecksLint } from "../config/required-checks.js";

type Path = readonly (string | number)[];

export interface Lint {
  readonly path: Path;
  readonly message: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const items = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []);
const entries = (v: unknown): [string, unknown][] => (isObject(v) ? Object.entries(v) : []);
const at = (v: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((o, k) => (isObject(o) ? o[k] : undefined), v);

// Characters a regular expression or a shell glob would use, none of which a certificate's URI or email SAN needs.
const REGEX_LIKE = /[*^$\\|()[\]{}]|\.\*|\.\+/;

function exactText(value: unknown, path: Path, what: string): Lint[] {
  if (typeof value !== "string") return [];
  if (value.trim() !== value) return [{ path, message: `${what} has spaces at an end; it is compared exactly and can never match` }];
  if (value.includes("*")) return [{ path, message: `${what} ${JSON.stringify(value)} holds "*": it is compared exactly, so "*" matches only a literal "*"; list each ${what} in full` }];
  if (REGEX_LIKE.test(value)) return [{ path, message: `${what} ${JSON.stringify(value)} looks like a regular expression: it is compared exactly and can never match; list each ${what} in full` }];
  return [];
}

const GITHUB_ACTIONS = "https://token.actions.githubusercontent.com";
const GITHUB_IDENTITY = "https://github.com/";
// A GitHub login: letters, digits and single hyphens, not at either end, at most 39 characters.
const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;

/**
 * The text a pattern's every match starts with, read up to the first construct that is not a literal: `^https://
 * github\.com/acme/` gives "https://github.com/acme/". A character a quantifier follows is dropped; a top-level `|`
 * means no common prefix. Linear in the pattern.
 */
export function literalPrefix(pattern: string): string {
  if (!pattern.startsWith("^") || /(^|[^\\])\|/.test(pattern.replace(/\[[^\]]*\]|\([^)]*\)/g, ""))) return "";
  let out = "";
  for (let i = 1; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "\\") {
      const next = pattern[i + 1];
      if (next === undefined || /[A-Za-z0-9]/.test(next)) break; // \d, \w, \Q...: not a literal
      out += next;
      i++;
    } else if (c === "?" || c === "*" || c === "{") return out.slice(0, -1);
    else if (".+[()^$|".includes(c)) break;
    else out += c;
    if (pattern[i + 1] === "?" || pattern[i + 1] === "*" || pattern[i + 1] === "{") return out.slice(0, -1);
  }
  return out;
}

// GitHub Actions certificates name the workflow https://github.com/OWNER/REPO/PATH@REF and nothing else.
function githubActionsIdentity(value: Record<string, unknown>, path: Path): Lint[] {
  if (value["issuer"] !== GITHUB_ACTIONS) return [];
  const identity = value["identity"];
  if (typeof identity === "string" && !identity.startsWith(GITHUB_IDENTITY)) {
    return [{ path: [...path, "identity"], message: `signer identity ${JSON.stringify(identity)} can never match: GitHub Actions certificates (issuer ${GITHUB_ACTIONS}) name a workflow URL https://github.com/OWNER/REPO/.github/workflows/FILE@REF` }];
  }
  const pattern = value["identity_pattern"];
  if (typeof pattern !== "string") return [];
  const prefix = literalPrefix(pattern);
  if (prefix !== "" && !prefix.startsWith(GITHUB_IDENTITY) && !GITHUB_IDENTITY.startsWith(prefix)) {
    return [{ path: [...path, "identity_pattern"], message: `identity pattern ${JSON.stringify(pattern)} can never match: every match starts with ${JSON.stringify(prefix)}, and GitHub Actions certificates (issuer ${GITHUB_ACTIONS}) name a workflow URL https://github.com/OWNER/REPO/.github/workflows/FILE@REF` }];
  }
  return [];
}

const refText = (value: unknown, path: Path, what: string): Lint[] =>
  typeof value === "string" && !value.startsWith("refs/") ? [{ path, message: `${what} ${JSON.stringify(value)} can never match: certificates name full refs (refs/heads/${value}, refs/tags/${value})` }] : [];

// The GitHub workflow form: facts read from a github.com workflow identity, so each part must be able to match one.
function workflowSigner(value: Record<string, unknown>, path: Path): Lint[] {
  const out: Lint[] = [];
  const owner = value["owner"];
  if (typeof owner === "string" && !LOGIN.test(owner)) out.push({ path: [...path, "owner"], message: `owner ${JSON.stringify(owner)} is not a valid GitHub login (letters, digits and single hyphens inside, at most 39 characters), so it never matches` });
  const workflow = value["workflow"];
  if (typeof workflow === "string" && (!workflow.startsWith(".github/workflows/") || !/\.ya?ml$/.test(workflow))) {
    out.push({ path: [...path, "workflow"], message: `workflow ${JSON.stringify(workflow)} can never match: a workflow's path is .github/workflows/FILE.yml (or .yaml), from the repository's root` });
  }
  items(value["refs"]).forEach((r, i) => out.push(...refText(r, [...path, "refs", i], "ref")));
  out.push(...refText(value["source_ref"], [...path, "source_ref"], "source ref"));
  const issuer = value["issuer"];
  if (typeof issuer === "string" && issuer !== GITHUB_ACTIONS) {
    out.push({ path: [...path, "issuer"], message: `issuer ${JSON.stringify(issuer)}: owner, repo and workflow match github.com workflow identities (https://github.com/OWNER/REPO/...), which only GitHub Actions (${GITHUB_ACTIONS}) issues; a GitHub Enterprise Server identity never matches (use identity_pattern)` });
  }
  return out;
}

function signer(value: unknown, path: Path): Lint[] {
  if (!isObject(value)) return [];
  if ("owner" in value) return workflowSigner(value, path);
  const out = [...exactText(value["identity"], [...path, "identity"], "signer identity"), ...exactText(value["issuer"], [...path, "issuer"], "issuer")];
  const issuer = value["issuer"];
  if (typeof issuer === "string" && out.length === 0 && !/^https:\/\/[^/\s]+/.test(issuer)) {
    out.push({ path: [...path, "issuer"], message: `issuer ${JSON.stringify(issuer)} is not an https URL; OIDC issuers are (e.g. https://token.actions.githubusercontent.com)` });
  }
  if (out.length === 0) out.push(...githubActionsIdentity(value, path));
  return out;
}

function glob(value: unknown, path: Path): Lint[] {
  if (typeof value !== "string") return [];
  const never = (why: string): Lint[] => [{ path, message: `protected path ${JSON.stringify(value)} ${why}, so it never matches a changed file` }];
  if (value.includes("//")) return never('has "//": a path GitHub lists never has an empty segment');
  if (value.startsWith("/")) return never('starts with "/": GitHub lists paths relative to the repository root ("infra/**", not "/infra/**")');
  if (value.startsWith("./") || value.split("/").some((s) => s === "." || s === "..")) return never('has a "." or ".." segment: GitHub lists normalised paths');
  if (value.endsWith("/")) return never('ends with "/": files are listed, not folders (write "DIR/**")');
  if (/\\[A-Za-z0-9]/.test(value)) return never('has "\\" before a letter: "/" separates folders and "\\" escapes the next character');
  return [];
}

/** Entries of one config file (as parsed, valid or not) that can never match; `today` is YYYY-MM-DD. */
export function neverMatching(config: unknown, today = new Date().toISOString().slice(0, 10)): Lint[] {
  const out: Lint[] = [];
  const signers = at(config, "rules", "signers");
  items(at(signers, "allowed")).forEach((s, i) => out.push(...signer(s, ["rules", "signers", "allowed", i])));
  for (const [repo, list] of entries(at(signers, "repositories"))) items(list).forEach((s, i) => out.push(...signer(s, ["rules", "signers", "repositories", repo, i])));
  const deployments = at(config, "deployments");
  const environment = (env: unknown, path: Path): void => {
    items(at(env, "signers")).forEach((s, i) => out.push(...signer(s, [...path, "signers", i])));
    items(at(env, "builders")).forEach((b, i) => out.push(...exactText(b, [...path, "builders", i], "builder id")));
    items(at(env, "predicate_types")).forEach((b, i) => out.push(...exactText(b, [...path, "predicate_types", i], "predicate type")));
  };
  environment(at(deployments, "default"), ["deployments", "default"]);
  for (const [name, env] of entries(at(deployments, "environments"))) environment(env, ["deployments", "environments", name]);
  items(at(config, "rules", "protected_paths", "paths")).forEach((p, i) =>
    out.push(...(isObject(p) ? glob(p["pattern"], ["rules", "protected_paths", "paths", i, "pattern"]) : glob(p, ["rules", "protected_paths", "paths", i]))),
  );
  items(at(config, "rules", "required_checks", "defined_in")).forEach((p, i) => out.push(...glob(p, ["rules", "required_checks", "defined_in", i])));
  out.push(...requiredChecksLint(config));
  items(at(config, "rules", "model_governance", "allowed")).forEach((m, i) => {
    const path = ["rules", "model_governance", "allowed", i];
    out.push(...exactText(at(m, "model"), [...path, "model"], "model id"), ...exactText(at(m, "version"), [...path, "version"], "model version"));
    const expires = at(m, "expires");
    if (typeof expires === "string" && expires <= today) out.push({ path: [...path, "expires"], message: `expired on ${expires}: this entry no longer allows the model` });
  });
  const agents = at(config, "agents");
  items(at(agents, "branch_prefixes")).forEach((b, i) => {
    const path = ["agents", "branch_prefixes", i];
    if (typeof b !== "string") return;
    if (b.startsWith("refs/")) out.push({ path, message: `branch prefix ${JSON.stringify(b)} starts with "refs/": it is compared with the branch's name ("claude/"), never a ref` });
    // git refuses these in a branch name (git check-ref-format), so no branch can start with them
    else if (/[\s~^:?*[\\]|\.\./.test(b)) out.push({ path, message: `branch prefix ${JSON.stringify(b)} holds a character git refuses in branch names (space ~ ^ : ? * [ \\ or ..): it is compared as plain text and can never match` });
  });
  items(at(agents, "co_author_emails")).forEach((e, i) => out.push(...exactText(e, ["agents", "co_author_emails", i], "co-author email")));
  items(at(agents, "labels")).forEach((e, i) => {
    // A label may hold brackets or "|"; only a "*" is surely a mistaken wildcard.
    if (typeof e === "string" && e.includes("*")) out.push({ path: ["agents", "labels", i], message: `label ${JSON.stringify(e)} holds "*": labels are compared exactly, so "*" matches only a literal "*"` });
  });
  return out;
}
