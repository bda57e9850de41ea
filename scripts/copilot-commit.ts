// A commit of Copilot's cloud agent as GitHub lists it: authored by the Copilot account, committed and signed by
// GitHub's web-flow key (evidence tier platform), with the assigning person as co-author. Used by the scenario scripts.
import type { Account, StandInCommit } from "../src/demo/github/model.js";
import { rawCommit } from "../test/support/gitsign-signer.js";
import { GITHUB_WEB_FLOW_FINGERPRINT, pgpSignatureFor } from "../test/support/pgp-signature.js";

/** Copilot as the commit author (REST's login) and as the pull request's author (the same account). */
export const COPILOT_USER: Account = { login: "Copilot", id: 198982749, type: "Bot" };
export const COPILOT_PR_AUTHOR: Account = { login: "copilot-swe-agent[bot]", id: 198982749, type: "Bot" };

/** The commit `sha(label)` on `sha("base")`, with `message`'s first paragraph as its subject, at `when`. */
export function copilotCommit(o: { sha: (label: string) => string; label: string; message: string; prompter: Account; when: Date }): StandInCommit {
  const date = o.when.toISOString().replace(/\.\d{3}Z$/, "Z");
  const payload = rawCommit({ tree: o.sha(`tree:${o.label}`), parents: [o.sha("base")], author: "Copilot <198982749+Copilot@users.noreply.github.com>", committer: "GitHub <noreply@github.com>", when: o.when, message: `${o.message}\n\nCo-authored-by: ${o.prompter.login} <${o.prompter.id}+${o.prompter.login}@users.noreply.github.com>\n` }).toString("utf8");
  return {
    sha: o.sha(o.label), tree: o.sha(`tree:${o.label}`), parents: [o.sha("base")], message: payload.split("\n\n").slice(1).join("\n\n"),
    author: { name: "Copilot", email: "198982749+Copilot@users.noreply.github.com", date, account: COPILOT_USER },
    committer: { name: "GitHub", email: "noreply@github.com", date, account: { login: "web-flow", id: 19864447, type: "User" } },
    verification: { verified: true, reason: "valid", signature: pgpSignatureFor({ fingerprint: GITHUB_WEB_FLOW_FINGERPRINT, keyId: GITHUB_WEB_FLOW_FINGERPRINT.slice(24) }), payload, verified_at: date },
  };
}
