// A commit of Copilot's cloud agent as GitHub lists it: authored by the Copilot account, committed and signed by
// GitHub's web-flow key (evidence tier platform: the stand-in GitHub's own, src/demo/github/web-flow-key.ts), with the
// assigning person as co-author; its id is the signed object's. Used by the scenario scripts.
import type { Account, StandInCommit } from "../src/demo/github/model.js";
import { rawCommit } from "../test/support/gitsign-signer.js";
import { DEMO_WEB_FLOW, pgpSign } from "../test/support/pgp-signature.js";
import { commitObjectId, rebuildSignedCommit } from "../src/core/signed-commits.js";

/** Copilot as the commit author (REST's login) and as the pull request's author (the same account). */
export const COPILOT_USER: Account = { login: "Copilot", id: 198982749, type: "Bot" };
export const COPILOT_PR_AUTHOR: Account = { login: "copilot-swe-agent[bot]", id: 198982749, type: "Bot" };

/** The commit (tree `sha("tree:" + label)`) on `sha("base")`, with `message`'s first paragraph as its subject, at `when`. */
export function copilotCommit(o: { sha: (label: string) => string; label: string; message: string; prompter: Account; when: Date }): StandInCommit {
  const date = o.when.toISOString().replace(/\.\d{3}Z$/, "Z");
  const payload = rawCommit({ tree: o.sha(`tree:${o.label}`), parents: [o.sha("base")], author: "Copilot <198982749+Copilot@users.noreply.github.com>", committer: "GitHub <noreply@github.com>", when: o.when, message: `${o.message}\n\nCo-authored-by: ${o.prompter.login} <${o.prompter.id}+${o.prompter.login}@users.noreply.github.com>\n` }).toString("utf8");
  const signature = pgpSign(payload, DEMO_WEB_FLOW, { at: Math.floor(o.when.getTime() / 1000) });
  return {
    sha: commitObjectId(rebuildSignedCommit(payload, signature), 40), tree: o.sha(`tree:${o.label}`), parents: [o.sha("base")], message: payload.split("\n\n").slice(1).join("\n\n"),
    author: { name: "Copilot", email: "198982749+Copilot@users.noreply.github.com", date, account: COPILOT_USER },
    committer: { name: "GitHub", email: "noreply@github.com", date, account: { login: "web-flow", id: 19864447, type: "User" } },
    verification: { verified: true, reason: "valid", signature, payload, verified_at: date },
  };
}
