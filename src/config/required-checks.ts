// rules.required_checks (issue 18 item 4): the checks an agent's pull request must have passed on its exact head
// commit before agent-gate passes it, each named and, recommended, tied to the GitHub App that must have produced it
// (a check run's name alone is written by any token with checks: write). The files that define those checks need a
// person's approval when an agent changes them, in this rule's mode (policies/.../required_checks.rego).
import { z } from "zod";
import { CHECK_NAME } from "../adapters/github/check-runs.js";
import { ruleMode } from "./rule-modes.js";
import { MAX_GLOB_PATTERNS, globKind, globProblem } from "./glob-cost.js";

/** Required checks at most: each is looked up among the head commit's check runs. */
export const MAX_REQUIRED_CHECKS = 50;
/** `defined_in` globs at most (they join the protected paths, and are bounded with them). */
export const MAX_DEFINED_IN = 32;
/** Where GitHub Actions checks are defined: always among the files that define required checks. */
export const CHECK_DEFINITIONS = [".github/workflows/**"];

const text = (what: string) => z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });

const checkName = () =>
  text("a check name").refine((n) => n.toLowerCase() !== CHECK_NAME, { error: `expected another check than ${CHECK_NAME}'s own (it would wait for itself)` });

const RequiredCheck = z.union(
  [
    checkName(),
    z.strictObject({
      name: checkName().describe("the check run's name as GitHub shows it (for GitHub Actions: the job's name)"),
      app: text("a GitHub App slug such as github-actions")
        .regex(/^[a-z0-9][a-z0-9-]{0,99}$/, { error: "expected a GitHub App slug (lower-case letters, digits and -), such as github-actions" })
        .optional()
        .describe("the slug of the GitHub App that must have produced the check run (github-actions for workflows)"),
      app_id: z.number({ error: "expected a GitHub App's numeric id" }).int({ error: "expected a GitHub App's numeric id" }).positive({ error: "expected a GitHub App's numeric id" }).optional().describe("the numeric id of that App (15368 for github-actions)"),
    }),
  ],
  { error: "expected a check name or {name, app?, app_id?}" },
);

const definedIn = () =>
  z
    .array(text("a glob").superRefine((p, ctx) => {
      const why = globProblem(p);
      if (why !== undefined) ctx.addIssue({ code: "custom", message: why });
    }), { error: "expected a list" })
    .max(MAX_DEFINED_IN, { error: `expected at most ${MAX_DEFINED_IN} globs` });

export const RequiredChecksConfig = z
  .strictObject({
    enabled: z.boolean({ error: "expected true or false" }).default(true),
    mode: ruleMode(),
    checks: z
      .array(RequiredCheck, { error: "expected a list" })
      .max(MAX_REQUIRED_CHECKS, { error: `expected at most ${MAX_REQUIRED_CHECKS} checks` })
      .default([])
      .describe("checks that must have concluded success on the pull request's head commit before an agent's pull request passes: a name, or {name, app, app_id} (recommended: a name alone is forgeable by any token with checks: write)"),
    defined_in: definedIn()
      .default([])
      .describe(`files that define those checks, besides ${CHECK_DEFINITIONS.join(", ")}: an agent changing one needs approval (approvals), in this rule's mode`),
    approvals: z
      .number({ error: "expected a whole number of at least 1" })
      .int({ error: "expected a whole number of at least 1" })
      .min(1, { error: "expected a whole number of at least 1 (an agent's change to what the checks run is always seen by a person)" })
      .optional()
      .describe("approvals on the head commit an agent's change to a file defining the checks needs (default 1)"),
  })
  .prefault({});

type Rules = { protected_paths: { paths: readonly (string | { pattern: string })[] }; required_checks: { checks: readonly unknown[]; defined_in: readonly string[] } };

/** The globs the policy matches changed paths with stay bounded with the check definitions added (glob-cost.ts). */
export function requiredChecksAgree(rules: Rules, ctx: z.RefinementCtx): void {
  const rc = rules.required_checks;
  if (rc.checks.length === 0) return;
  const patterns = new Set([...rules.protected_paths.paths.map((p) => (typeof p === "string" ? p : p.pattern)), ...CHECK_DEFINITIONS, ...rc.defined_in]);
  const globs = [...patterns].filter((p) => globKind(p) === "glob").length;
  if (globs > MAX_GLOB_PATTERNS)
    ctx.addIssue({ code: "custom", path: ["required_checks", "defined_in"], input: rc.defined_in, message: `expected at most ${MAX_GLOB_PATTERNS} patterns with wildcards other than a trailing ** in protected_paths.paths and required_checks.defined_in together; they have ${globs}` });
}

type Path = readonly (string | number)[];

/** Warnings for `config validate`: a required check that names no App can be faked by any token with checks: write. */
export function requiredChecksLint(config: unknown): { path: Path; message: string }[] {
  const rc = (config as { rules?: { required_checks?: { checks?: unknown } } } | null)?.rules?.required_checks;
  const checks = Array.isArray(rc?.checks) ? (rc.checks as unknown[]) : [];
  const out: { path: Path; message: string }[] = [];
  checks.forEach((c, i) => {
    const named = typeof c === "string" ? c : typeof c === "object" && c !== null ? (c as { name?: unknown }).name : undefined;
    const o = typeof c === "object" && c !== null ? (c as { app?: unknown; app_id?: unknown }) : {};
    if (typeof named === "string" && o.app === undefined && o.app_id === undefined)
      out.push({ path: ["rules", "required_checks", "checks", i], message: `required check ${JSON.stringify(named)} names no App: any workflow or token with checks: write can create a check run of that name; add app: github-actions (or the App that runs it)` });
  });
  return out;
}
