// What a protected-path pattern costs the policy, as policies/rego/agent_gate/pull_request/paths.rego sorts them:
// a literal is one lookup per changed path and a literal prefix followed by `**` one prefix test, but any other
// glob is a glob.match (a regular expression compiled in wasm) against every changed path that starts with its
// literal prefix, and a pull request may list 3,000 paths. The config schema bounds these, so that the worst
// config evaluated against GitHub's largest pull request stays well inside the policy deadline.

/** Protected-path entries at most. */
export const MAX_PROTECTED_PATHS = 256;
/** Characters in one pattern at most. */
export const MAX_GLOB_LENGTH = 256;
/** Patterns that need glob matching (not a literal, nor a literal followed by `**`) at most: each costs ~75-120 ms
 *  against 3,000 changed paths that fill the 8 MiB policy input (bench/hostile/04-policy-deadline.ts). */
export const MAX_GLOB_PATTERNS = 8;
/** Special characters (`*`, `?`, `[`, `{`, `,`) in one such pattern at most. */
export const MAX_GLOB_WILDCARDS = 16;

const SPECIAL = /[*?[{\\]/;

export type GlobKind = "literal" | "subtree" | "glob";

/** The pattern's kind as the policy sorts it (paths.rego `_pattern`). */
export function globKind(pattern: string): GlobKind {
  if (!SPECIAL.test(pattern)) return "literal";
  if (pattern.endsWith("**") && !SPECIAL.test(pattern.slice(0, -2))) return "subtree";
  return "glob";
}

/** Wildcards and alternatives in a pattern: `*`, `?`, `[`, `{` and `,` (each `*` of `**` counts). */
export function globWildcards(pattern: string): number {
  let n = 0;
  for (const c of pattern) if (c === "*" || c === "?" || c === "[" || c === "{" || c === ",") n++;
  return n;
}

/** Why one pattern is refused, or undefined. */
export function globProblem(pattern: string): string | undefined {
  if (pattern.length > MAX_GLOB_LENGTH) return `expected a glob of at most ${MAX_GLOB_LENGTH} characters; it has ${pattern.length}`;
  const wildcards = globWildcards(pattern);
  if (globKind(pattern) === "glob" && wildcards > MAX_GLOB_WILDCARDS)
    return `expected a glob with at most ${MAX_GLOB_WILDCARDS} wildcards (*, ?, [, {, ,); it has ${wildcards} (a glob is matched against every changed path)`;
  return undefined;
}

/** Why the list of patterns is refused, or undefined (its length is the schema's `max`). */
export function globListProblem(patterns: readonly string[]): string | undefined {
  const globs = patterns.filter((p) => globKind(p) === "glob").length;
  if (globs > MAX_GLOB_PATTERNS)
    return `expected at most ${MAX_GLOB_PATTERNS} patterns with wildcards other than a trailing ** (each is matched against every changed path); it has ${globs}: list literal paths or DIR/** where you can`;
  return undefined;
}
