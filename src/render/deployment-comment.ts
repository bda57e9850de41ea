// The deployment review's comment (approve or reject), as a reviewer reads it on the deployment: the findings that
// decided and why attestations failed. GitHub shows it as markdown: every value goes through text().
import type { Finding } from "../core/decision.js";
import { text } from "./markdown.js";

/** The longest comment GitHub's deployment protection rule review takes. */
export const DEPLOYMENT_COMMENT_MAX = 1024;

/** The reject/approve comment, at most `max` characters (GitHub's limit by default). */
export function answerComment(state: "approved" | "rejected", deny: readonly Finding[], failures: readonly string[], env: string, max = DEPLOYMENT_COMMENT_MAX): string {
  if (state === "approved") return `agent-gate approved the deployment to ${text(env, { max: 100 })}: every artifact is attested by a trusted builder and the commit passed the pull-request gate.`;
  const lines = [`agent-gate rejected the deployment to ${text(env, { max: 100 })}:`, ...deny.map((f) => `- ${text(f.msg, { max })}`), ...failures.map((f) => `- ${text(f, { max })}`)];
  let out = "";
  for (const line of lines) {
    const next = out ? `${out}\n${line}` : line;
    if (next.length > max) return `${out.slice(0, max - 2)}\n…`.slice(0, max);
    out = next;
  }
  return out;
}

/** The "in progress" comment while the artifacts are verified. */
export function progressComment(sha: string, env: string): string {
  return `agent-gate is verifying the artifacts of ${text(sha.slice(0, 7))} for ${text(env, { max: 100 })}`;
}
