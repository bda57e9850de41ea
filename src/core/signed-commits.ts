// Signed commits as evidence: what a commit's own signature can prove, as facts for the policy.
//  - tier "signed-commit": a gitsign (Sigstore keyless) signature over the commit, verified by agent-gate itself. The
//    agent, model and prompt digest come from the commit's trailers, which the signature covers (they are in the
//    signed payload). The payload and signature GitHub returns must rebuild exactly the commit's sha.
//  - tier "platform": a commit GitHub signed with its own key (web-flow), the signature verified here with GitHub's
//    pinned keys (github-signature.ts), committed by GitHub itself, whose author is a known agent account. It proves
//    who made the commit, never which model or prompt.
// Pure and linear in its input: the payload and signature are attacker-controlled bytes (capped by the snapshot).
import { createHash } from "node:crypto";
import type { GitHubUser } from "./agents.js";
import { parseTrailers } from "./trailers.js";
import { GITHUB_SIGNING_KEYS, githubSignature, type GitHubSigningKey } from "./github-signature.js";

/** Evidence tiers, weakest claim last. The config decides per agent which suffice (rules.provenance_coverage.tiers). */
export const EVIDENCE_TIERS = ["sigstore", "signed-commit", "platform"] as const;
export type EvidenceTier = (typeof EVIDENCE_TIERS)[number];

/**
 * The commit trailers that carry an agent run's facts under a signed commit (written by `agent-gate attest
 * --commit-trailers`, read by the gate; docs/verify-commit.md "Agent trailers"). Keys compare case-insensitively,
 * as git's do. Unsigned commits' trailers stay claims: only a verified signature makes these facts.
 */
export const AGENT_TRAILERS = {
  agent: "Agent", // the agent runtime's name, e.g. claude-code
  agentVersion: "Agent-Version", // optional
  model: "Agent-Model", // "provider/model"
  modelVersion: "Agent-Model-Version", // optional
  promptDigest: "Agent-Prompt-SHA256", // sha256:<64 hex> (or the 64 hex alone) of the prompt text, never the text
} as const;

export interface SignedTrailerFacts {
  readonly agent?: { readonly name: string; readonly version?: string };
  readonly model?: { readonly id: string; readonly version?: string };
  readonly promptDigest?: string; // sha256:<64 hex>
}

export type SignedTrailerResult = { readonly ok: true; readonly facts: SignedTrailerFacts } | { readonly ok: false; readonly message: string };

const MAX_TRAILER_VALUE = 200;
const MODEL_ID = /^[^/\s]+\/\S+$/;
const DIGEST = /^(?:sha256:)?([0-9a-f]{64})$/i;

/**
 * The agent trailers of a signed commit message. A key given twice with different values, a value past 200
 * characters, a model that is not "provider/model" or a digest that is not sha256 is refused: a signed claim that
 * cannot be read one way is no evidence.
 */
export function agentTrailers(message: string): SignedTrailerResult {
  const wanted = new Map(Object.entries(AGENT_TRAILERS).map(([field, key]) => [key.toLowerCase(), field as keyof typeof AGENT_TRAILERS]));
  const values: Partial<Record<keyof typeof AGENT_TRAILERS, string>> = {};
  for (const t of parseTrailers(message)) {
    const field = wanted.get(t.key.toLowerCase());
    if (field === undefined) continue;
    if (t.value.length === 0 || t.value.length > MAX_TRAILER_VALUE) return { ok: false, message: `trailer ${AGENT_TRAILERS[field]} must hold 1 to ${MAX_TRAILER_VALUE} characters` };
    const known = values[field];
    if (known !== undefined && known !== t.value) return { ok: false, message: `trailer ${AGENT_TRAILERS[field]} is given twice with different values` };
    values[field] = t.value;
  }
  if (values.model !== undefined && !MODEL_ID.test(values.model)) return { ok: false, message: `trailer ${AGENT_TRAILERS.model} must be "provider/model"` };
  let promptDigest: string | undefined;
  if (values.promptDigest !== undefined) {
    const m = DIGEST.exec(values.promptDigest);
    if (!m) return { ok: false, message: `trailer ${AGENT_TRAILERS.promptDigest} must be sha256:<64 hex>` };
    promptDigest = `sha256:${m[1]!.toLowerCase()}`;
  }
  if (values.modelVersion !== undefined && values.model === undefined) return { ok: false, message: `trailer ${AGENT_TRAILERS.modelVersion} needs ${AGENT_TRAILERS.model}` };
  if (values.agentVersion !== undefined && values.agent === undefined) return { ok: false, message: `trailer ${AGENT_TRAILERS.agentVersion} needs ${AGENT_TRAILERS.agent}` };
  return {
    ok: true,
    facts: {
      ...(values.agent !== undefined ? { agent: { name: values.agent, ...(values.agentVersion !== undefined ? { version: values.agentVersion } : {}) } } : {}),
      ...(values.model !== undefined ? { model: { id: values.model, ...(values.modelVersion !== undefined ? { version: values.modelVersion } : {}) } } : {}),
      ...(promptDigest !== undefined ? { promptDigest } : {}),
    },
  };
}

/** The message of a commit object: everything after the first blank line (the headers end there). */
export function commitMessage(payload: string): string {
  const eoh = payload.indexOf("\n\n");
  return eoh === -1 ? "" : payload.slice(eoh + 2);
}

/**
 * The raw commit object a payload and its signature were split from, rebuilt as git's do_sign_commit() writes it:
 * a `gpgsig` header at the end of the headers, every signature line after the first prefixed with one space.
 */
export function rebuildSignedCommit(payload: string, signature: string): string {
  const sig = signature.endsWith("\n") ? signature : `${signature}\n`;
  const header = `gpgsig ${sig.slice(0, -1).split("\n").join("\n ")}\n`;
  const eoh = payload.indexOf("\n\n");
  const at = eoh === -1 ? payload.length : eoh + 1;
  return `${payload.slice(0, at)}${header}${payload.slice(at)}`;
}

/** The git object id of a commit object (SHA-1 for 40-hex ids, SHA-256 for 64-hex ids). */
export function commitObjectId(raw: string, idLength: 40 | 64): string {
  const bytes = Buffer.from(raw, "utf8");
  return createHash(idLength === 40 ? "sha1" : "sha256")
    .update(`commit ${bytes.length}\0`)
    .update(bytes)
    .digest("hex");
}

/**
 * Splits a raw commit object into the bytes its signature covers and the signature, as git's
 * parse_buffer_signed_by_header() (commit.c) does for a SHA-1 repository: the `gpgsig` header and its continuation
 * lines (each after its leading space) are the signature; every other header whose name starts with `gpgsig`
 * (`gpgsig-sha256`, the other object format's, or any other) is dropped with its continuation lines; everything else,
 * the message verbatim, is the payload. Two `gpgsig` headers (git would join them into one signature) are refused.
 * The one definition of what a commit's signature covers: verify-commit splits the raw commit with it, and the gate
 * requires GitHub's payload to be what it gives for the rebuilt commit (payloadIsCommit). Linear in the input.
 */
export function splitSignedCommit(commit: Buffer): { payload: Buffer; signature: string } | { error: string; unsigned?: true } {
  const parts: Buffer[] = [];
  let signature: string | undefined;
  let inSig: "gpgsig" | "other" | undefined;
  let i = 0;
  while (i < commit.length) {
    const nl = commit.indexOf(0x0a, i);
    const end = nl < 0 ? commit.length : nl + 1;
    const line = commit.subarray(i, end);
    if (line.length === 1 && line[0] === 0x0a) {
      parts.push(commit.subarray(i)); // the blank line and the message, verbatim
      break;
    }
    if (inSig !== undefined && line[0] === 0x20) {
      if (inSig === "gpgsig") signature += line.subarray(1).toString("latin1");
    } else if (line.subarray(0, 7).toString("latin1") === "gpgsig ") {
      if (signature !== undefined) return { error: "the commit has more than one gpgsig header" };
      signature = line.subarray(7).toString("latin1");
      inSig = "gpgsig";
    } else if (line.subarray(0, 6).toString("latin1") === "gpgsig") {
      inSig = "other"; // gpgsig-sha256 (the SHA-256 object format's signature) or any other gpgsig*: git drops it
    } else {
      inSig = undefined;
      parts.push(line);
    }
    i = end;
  }
  if (!commit.subarray(0, 5).equals(Buffer.from("tree "))) return { error: "expected a raw commit object starting with a tree header (git cat-file commit SHA)" };
  if (signature === undefined) return { error: "the commit has no gpgsig header: it is not signed", unsigned: true };
  return { payload: Buffer.concat(parts), signature };
}

/**
 * Whether GitHub's payload and signature are exactly the commit `sha`: they rebuild an object with that id, and the
 * payload is what git's split of that object gives (splitSignedCommit), else the signature is over something else.
 */
export function payloadIsCommit(sha: string, payload: string, signature: string): boolean {
  const id = sha.toLowerCase();
  if (id.length !== 40 && id.length !== 64) return false;
  const raw = rebuildSignedCommit(payload, signature);
  if (commitObjectId(raw, id.length) !== id) return false;
  const split = splitSignedCommit(Buffer.from(raw, "utf8"));
  return !("error" in split) && split.payload.equals(Buffer.from(payload, "utf8"));
}

/** What kind of signature the armour holds, from its first line. */
export function signatureKind(signature: string): "gitsign" | "pgp" | "ssh" | "other" {
  const first = signature.slice(0, 40);
  if (first.startsWith("-----BEGIN SIGNED MESSAGE-----")) return "gitsign";
  if (first.startsWith("-----BEGIN PGP SIGNATURE-----")) return "pgp";
  if (first.startsWith("-----BEGIN SSH SIGNATURE-----")) return "ssh";
  return "other";
}

/**
 * Whether GitHub's payload and signature are commit `sha`, as payloadIsCommit, allowing the one difference GitHub's
 * API makes for its own signatures: its object's signature header ends with a blank continuation line that the
 * signature it returns does not have. The payload, which the signature covers, is the same either way.
 */
export function platformPayloadIsCommit(sha: string, payload: string, signature: string): boolean {
  return payloadIsCommit(sha, payload, signature) || (signature.endsWith("\n") && payloadIsCommit(sha, payload, `${signature}\n`));
}

/** The committer GitHub writes into the commits it makes and signs itself (web UI, API-created commits, its agents'). */
export const GITHUB_COMMITTER = "GitHub <noreply@github.com>";

/** The committer's name and address in a commit's headers (its time and zone left out); undefined unless exactly one, well formed. */
export function committerOf(payload: string): string | undefined {
  const eoh = payload.indexOf("\n\n");
  const lines = (eoh === -1 ? payload : payload.slice(0, eoh)).split("\n").filter((l) => l.startsWith("committer "));
  if (lines.length !== 1) return undefined;
  const rest = lines[0]!.slice("committer ".length);
  const zone = rest.lastIndexOf(" ");
  const time = rest.lastIndexOf(" ", zone - 1);
  if (time <= 0 || !/^\d+$/.test(rest.slice(time + 1, zone)) || !/^[+-]\d{4}$/.test(rest.slice(zone + 1))) return undefined;
  return rest.slice(0, time);
}

export interface PlatformCommit {
  readonly sha: string;
  readonly author?: GitHubUser; // the account GitHub attributes the commit's author to
  readonly gitSignature?: { readonly verified: boolean; readonly reason: string; readonly signature?: string; readonly payload?: string };
}

/**
 * The agent account a platform-signed commit proves, or why not: GitHub verified the signature (`valid`); its payload
 * and signature are this commit; the signature verifies over the payload with GitHub's own key (github-signature.ts:
 * chosen by its hashed issuer, never an unhashed one; a person's verified GPG key with the agent's address as author
 * proves nothing; its key rotated in 2024 gives nothing); the committer is GitHub itself (GITHUB_COMMITTER: a commit
 * someone else committed with the agent as author is theirs, whoever's key signed it); and the author is a known agent
 * account (login and id both: this tier loosens, unlike detection, which matches either). `keys`: GitHub's pinned keys
 * (a stand-in GitHub, the demo's, has its own). `byGitHub`: GitHub's key made the signature, yet it gives no tier (the
 * committer, the rotated key): a refusal worth saying, unlike a person's key.
 */
export function platformAgent(c: PlatformCommit, agentAccounts: readonly { login: string; id: number; agent: string }[], keys: readonly GitHubSigningKey[] = GITHUB_SIGNING_KEYS): { account: GitHubUser; agent: string } | { reason: string; byGitHub?: true } {
  const sig = c.gitSignature;
  if (!sig) return { reason: "GitHub reports no signature" };
  if (!sig.verified || sig.reason !== "valid") return { reason: `GitHub does not verify the signature (${sig.reason.slice(0, 60)})` };
  if (sig.signature === undefined || sig.payload === undefined) return { reason: "GitHub returned no signed payload and signature" };
  if (!platformPayloadIsCommit(c.sha, sig.payload, sig.signature)) return { reason: `the signed payload and signature GitHub returned are not commit ${c.sha.slice(0, 7)}` };
  const verdict = githubSignature(sig.payload, sig.signature, keys);
  if (!verdict.ok) return verdict.rotated ? { reason: verdict.reason, byGitHub: true } : { reason: verdict.reason };
  const committer = committerOf(sig.payload);
  if (committer === undefined) return { reason: "GitHub signed it, but its signed payload does not hold exactly one committer header; expected one: committer NAME <EMAIL> TIME ZONE", byGitHub: true };
  if (committer !== GITHUB_COMMITTER) return { reason: `GitHub signed it, but its committer is ${committer.slice(0, 120)}, not ${GITHUB_COMMITTER}: GitHub signs as committer only the commits it makes itself`, byGitHub: true };
  const a = c.author;
  const login = a?.login.toLowerCase();
  const known = a ? agentAccounts.find((x) => x.id === a.id && x.login.toLowerCase() === login) : undefined;
  if (!a || !known) return { reason: "GitHub signed it, but its author is not a known agent account" };
  return { account: { login: a.login, id: a.id }, agent: known.agent };
}
