// Evidence as an agent signal: a commit that verified agent provenance names is an agent's commit, and a pull
// request holding one is an agent's pull request, whoever opened it and whatever the author's name says. An
// unsigned claim in the PR body (a provenance block that does not verify) tightens the same way. Signals only ever
// add: nothing here can make a commit or a pull request less of an agent's.
import { SIGNALS, type AgentDetection, type AgentReason } from "./agents.js";
import type { BindingResult } from "./binding.js";
import type { Facts } from "./facts.js";

const rank = (r: AgentReason): number => SIGNALS.indexOf(r.signal);

function withReason(d: AgentDetection, reason: AgentReason): AgentDetection {
  const reasons = [...d.reasons, reason].sort((a, b) => rank(a) - rank(b));
  return { ...d, isAgent: true, agent: reasons[0]!.agent, reasons };
}

/**
 * Facts with the provenance signals added: `binding` (of verified bundles) says which commits signed agent
 * statements name; `claimedInBody` holds the commits that unverified blocks in the PR body claim; `signedCommits`
 * the commits whose own verified signature (tier signed-commit) covers agent trailers, with the agent they name.
 */
export function withProvenanceSignals(facts: Facts, binding: BindingResult, claimedInBody: ReadonlySet<string>, signedCommits: ReadonlyMap<string, string> = new Map()): Facts {
  const coverage = new Map(binding.commits.map((c) => [c.sha, c]));
  let signed = 0;
  let claimed = 0;
  const commits = facts.commits.map((c) => {
    const cov = coverage.get(c.sha);
    const selfSigned = signedCommits.get(c.sha);
    if (!cov?.named && selfSigned !== undefined) {
      // its own verified signature covers agent trailers: a signed claim of agent work, like a signed statement's
      signed++;
      return { ...c, detection: withReason(c.detection, { signal: "provenance", agent: selfSigned, detail: `its own verified signature carries agent trailers (${selfSigned})` }) };
    }
    if (cov?.named) {
      signed++;
      const by = cov.by[0];
      const detail = by ? `verified agent provenance covers it (${by.runtime.name}, ${by.model.id})` : "a verified agent statement names it";
      return { ...c, detection: withReason(c.detection, { signal: "provenance", agent: by?.runtime.name ?? "signed-statement", detail }) };
    }
    if (claimedInBody.has(c.sha)) {
      claimed++;
      return { ...c, detection: withReason(c.detection, { signal: "body-marker", agent: c.detection.agent ?? "unknown", detail: "a provenance block in the PR body claims it (unverified)" }) };
    }
    return c;
  });
  if (signed === 0 && claimed === 0) return facts;
  const detail = signed > 0 ? `verified agent provenance names ${signed} of its ${facts.commits.length} commits` : `a provenance block in the PR body claims ${claimed} of its commits (unverified)`;
  const agent = commits.find((c) => c.detection.reasons[0]?.signal === "provenance")?.detection.agent ?? facts.detection.agent ?? "unknown";
  return { ...facts, commits, detection: withReason(facts.detection, { signal: signed > 0 ? "provenance" : "body-marker", agent, detail }) };
}
