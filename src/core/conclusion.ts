// The ONE mapping from an evaluation's result to a check conclusion. It fails closed: an error, a timeout, an
// unverifiable input or a decision that contradicts itself is `failure`; never `neutral` (a neutral conclusion
// satisfies a required check) and never `success` unless the policy allowed with no denial.
import type { Decision } from "./decision.js";
import { AgentGateError, publicError } from "./errors.js";
import { visible } from "./visible.js";

export type Conclusion = "success" | "failure";

export interface CheckConclusion {
  readonly conclusion: Conclusion;
  readonly title: string; // one line, plain text, at most TITLE_MAX characters
  readonly outcome: "allowed" | "allowed-with-warnings" | "denied" | "error";
  readonly code?: string; // the error code, for errors
}

export type EvaluationResult =
  | { readonly kind: "decision"; readonly decision: Decision }
  | { readonly kind: "error"; readonly error: unknown };

export const TITLE_MAX = 120;

/** One line of plain text: line breaks and tabs as spaces, whitespace collapsed, invisible characters as visible escapes (`\u{202E}`), cut at `max`. */
export function oneLine(text: string, max = TITLE_MAX): string {
  const flat = visible(text.replace(/[\t\n\v\f\r ]+/g, " ").trim(), { max: 4 * max });
  const chars = Array.from(flat);
  return chars.length <= max ? flat : `${chars.slice(0, max - 1).join("").trimEnd()}…`;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

function fromError(error: unknown): CheckConclusion {
  // The title is posted to GitHub: a server-internal message (a database URL, a library's words) is withheld.
  const { code, message, transient } = publicError(error);
  // A transient failure is re-queued by the App; the check says so until the retry completes it.
  if (transient) return { conclusion: "failure", outcome: "error", code, title: oneLine(`Could not be evaluated: ${message} (retrying)`) };
  return { conclusion: "failure", outcome: "error", code, title: oneLine(`Not evaluated: ${message}`) };
}

function isDecision(d: unknown): d is Decision {
  if (typeof d !== "object" || d === null) return false;
  const x = d as Record<string, unknown>;
  return typeof x["allow"] === "boolean" && Array.isArray(x["deny"]) && Array.isArray(x["warn"]);
}

/**
 * The required checks still running or not yet started, when they are all that stands in the way (every denial is a
 * required check's `pending` finding, policies/.../required_checks.rego); undefined otherwise. Still a failure: a
 * pull request waiting for its tests is not mergeable, the title only says what it waits for.
 */
export function pendingChecks(deny: readonly Decision["deny"][number][]): string[] | undefined {
  const names: string[] = [];
  for (const f of deny) {
    const details = f.details as { state?: unknown; check?: unknown } | undefined;
    if (f.rule !== "required-checks" || details?.state !== "pending" || typeof details.check !== "string") return undefined;
    if (!names.includes(details.check)) names.push(details.check);
  }
  return names.length > 0 ? names : undefined;
}

/** Decision or error -> check conclusion and title. */
export function conclude(result: EvaluationResult): CheckConclusion {
  if (result.kind !== "decision") return fromError(result.kind === "error" ? result.error : new Error("unknown evaluation result"));
  const d: unknown = result.decision;
  if (!isDecision(d)) return fromError(new AgentGateError("POLICY_CONTRACT_VIOLATION", "the decision is malformed", "internal"));
  if (d.deny.length > 0) {
    const waiting = pendingChecks(d.deny);
    if (waiting) return { conclusion: "failure", outcome: "denied", title: oneLine(`Waiting for required checks: ${waiting.join(", ")}`) };
    const first = d.deny[0]?.msg ?? "";
    const more = d.deny.length > 1 ? ` (+${d.deny.length - 1} more)` : "";
    return { conclusion: "failure", outcome: "denied", title: oneLine(`Blocked: ${first}${more}`) };
  }
  if (!d.allow) {
    return fromError(new AgentGateError("POLICY_CONTRACT_VIOLATION", "the policy did not allow the change but gave no denial", "internal"));
  }
  // Warn-mode rules and shadow mode never fail the check; the title says what would have blocked. Errors and
  // enforced denials (above) fail in shadow mode too: an error is never turned into a pass.
  const held = d.wouldDeny ?? [];
  if (d.modes?.config === "shadow") {
    if (held.length === 0) return { conclusion: "success", outcome: d.warn.length ? "allowed-with-warnings" : "allowed", title: "Shadow mode: nothing would block" };
    const more = held.length > 1 ? ` (+${held.length - 1} more)` : "";
    return { conclusion: "success", outcome: "allowed-with-warnings", title: oneLine(`Shadow mode, would block: ${held[0]?.msg ?? ""}${more}`) };
  }
  if (held.length > 0) {
    const more = held.length > 1 ? ` (+${held.length - 1} more)` : "";
    return { conclusion: "success", outcome: "allowed-with-warnings", title: oneLine(`Mergeable; a warn-mode rule would block: ${held[0]?.msg ?? ""}${more}`) };
  }
  if (d.warn.length > 0) {
    const first = d.warn[0]?.msg ?? "";
    return { conclusion: "success", outcome: "allowed-with-warnings", title: oneLine(`Mergeable with ${plural(d.warn.length, "warning")}: ${first}`) };
  }
  return { conclusion: "success", outcome: "allowed", title: "Mergeable: every rule passes" };
}

/** The identifier of the check run's "Re-evaluate" button: rendered with the check run, matched on requested_action. */
export const REEVALUATE_IDENTIFIER = "reevaluate";
