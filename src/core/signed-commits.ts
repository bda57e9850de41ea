// Signed commits as evidence: what a commit's own signature can prove, as facts for the policy.
//  - tier "signed-commit": a gitsign (Sigstore keyless) signature over the commit, verified by agent-gate itself. The
//    agent, model and prompt digest come from the commit's trailers, which the signature covers (they are in the
//    signed payload). The payload and signature GitHub returns must rebuild exactly the commit's sha.
//  - tier "platform": a commit GitHub signed with its own key (web-flow) whose author is a known agent account. It
//    proves who made the commit, never which model or prompt.
// Pure and linear in its input: the payload and signature are attacker-controlled bytes (capped by the snapshot).
import { createHash } from "node:crypto";
import type { GitHubUser } from "./agents.js";
import { parseTrailers } from "./trailers.js";

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

/** Whether GitHub's payload and signature are exactly the commit `sha`: else the signature is over something else. */
export function payloadIsCommit(sha: string, payload: string, signature: string): boolean {
  const id = sha.toLowerCase();
  if (id.length !== 40 && id.length !== 64) return false;
  return commitObjectId(rebuildSignedCommit(payload, signature), id.length) === id;
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
 * GitHub's own commit-signing keys (the `web-flow` account's, https://github.com/web-flow.gpg): full v4 fingerprints.
 * GitHub signs with them what it commits itself: web-UI edits, API commits of Apps, its cloud agents' commits.
 */
export const GITHUB_SIGNING_KEYS: readonly string[] = [
  "968479a1aff927e37d1a566bb5690eeebb952194", // 2024-01-16 onwards
  "5de3e0509c47ea3cf04a42d34aee18f83afdeb23", // until 2024-01-16
];

const MAX_PGP_BYTES = 8 * 1024;

/**
 * The issuer of an OpenPGP v4 signature packet: the issuer-fingerprint subpacket (33) when present, else the
 * 64-bit issuer key id (16), as lowercase hex. One pass over at most 8 KiB; undefined for anything else.
 */
export function pgpSignatureIssuer(armoured: string): { fingerprint?: string; keyId?: string } | undefined {
  try {
    return readIssuer(armoured);
  } catch {
    return undefined; // a read past the end (RangeError): not a signature packet agent-gate can read
  }
}

function readIssuer(armoured: string): { fingerprint?: string; keyId?: string } | undefined {
  if (armoured.length > MAX_PGP_BYTES * 2) return undefined;
  const m = /^-----BEGIN PGP SIGNATURE-----\r?\n(?:[^\r\n]+\r?\n)*?\r?\n([A-Za-z0-9+/=\r\n]+?)(?:\r?\n=[A-Za-z0-9+/]{4})?\r?\n-----END PGP SIGNATURE-----\r?\n?$/.exec(armoured);
  if (!m) return undefined;
  const b = Buffer.from(m[1]!.replace(/\s+/g, ""), "base64");
  if (b.length < 8 || b.length > MAX_PGP_BYTES) return undefined;
  let i = 0;
  const tag = b[i++]!;
  if ((tag & 0x80) === 0) return undefined;
  let len: number;
  if (tag & 0x40) {
    if ((tag & 0x3f) !== 2) return undefined; // new format: packet tag 2 (signature)
    const l0 = b[i++]!;
    if (l0 < 192) len = l0;
    else if (l0 < 224) len = ((l0 - 192) << 8) + b[i++]! + 192;
    else if (l0 === 255) {
      len = b.readUInt32BE(i);
      i += 4;
    } else return undefined;
  } else {
    if (((tag >> 2) & 0x0f) !== 2) return undefined;
    const lt = tag & 3;
    if (lt === 0) len = b[i++]!;
    else if (lt === 1) {
      len = b.readUInt16BE(i);
      i += 2;
    } else if (lt === 2) {
      len = b.readUInt32BE(i);
      i += 4;
    } else return undefined;
  }
  const end = i + len;
  if (end > b.length || b[i] !== 4) return undefined; // v4 signatures only
  i += 4; // version, signature type, public-key algorithm, hash algorithm
  const found: { fingerprint?: string; keyId?: string } = {};
  for (let area = 0; area < 2; area++) {
    if (i + 2 > end) return undefined;
    const areaEnd = i + 2 + b.readUInt16BE(i);
    i += 2;
    if (areaEnd > end) return undefined;
    while (i < areaEnd) {
      const s0 = b[i++]!;
      let sl: number;
      if (s0 < 192) sl = s0;
      else if (s0 < 255) sl = ((s0 - 192) << 8) + b[i++]! + 192;
      else {
        sl = b.readUInt32BE(i);
        i += 4;
      }
      if (sl < 1 || i + sl > areaEnd) return undefined;
      const type = b[i]! & 0x7f;
      const body = b.subarray(i + 1, i + sl);
      if (type === 33 && body.length === 21 && body[0] === 4) found.fingerprint ??= body.subarray(1).toString("hex");
      if (type === 16 && body.length === 8) found.keyId ??= body.toString("hex");
      i += sl;
    }
  }
  return found.fingerprint !== undefined || found.keyId !== undefined ? found : undefined;
}

/** Whether a signature is GitHub's own (web-flow): by its full fingerprint when it names one, else by its key id. */
export function signedByGitHub(signature: string): boolean {
  if (signatureKind(signature) !== "pgp") return false;
  const issuer = pgpSignatureIssuer(signature);
  if (!issuer) return false;
  if (issuer.fingerprint !== undefined) return GITHUB_SIGNING_KEYS.includes(issuer.fingerprint);
  return GITHUB_SIGNING_KEYS.some((fp) => fp.endsWith(issuer.keyId ?? "-"));
}

export interface PlatformCommit {
  readonly author?: GitHubUser; // the account GitHub attributes the commit's author to
  readonly gitSignature?: { readonly verified: boolean; readonly reason: string; readonly signature?: string };
}

/**
 * The agent account a platform-signed commit proves, or why not: GitHub verified the signature (`valid`), the
 * signature is GitHub's own key (a person's verified GPG key with the agent's address as author proves nothing),
 * and the author is a known agent account (login and id both: this tier loosens, unlike detection, which matches
 * either).
 */
export function platformAgent(c: PlatformCommit, agentAccounts: readonly { login: string; id: number; agent: string }[]): { account: GitHubUser; agent: string } | { reason: string } {
  const sig = c.gitSignature;
  if (!sig) return { reason: "GitHub reports no signature" };
  if (!sig.verified || sig.reason !== "valid") return { reason: `GitHub does not verify the signature (${sig.reason.slice(0, 60)})` };
  if (sig.signature === undefined || !signedByGitHub(sig.signature)) return { reason: "the signature is not GitHub's own key (web-flow)" };
  const a = c.author;
  const login = a?.login.toLowerCase();
  const known = a ? agentAccounts.find((x) => x.id === a.id && x.login.toLowerCase() === login) : undefined;
  if (!a || !known) return { reason: "GitHub signed it, but its author is not a known agent account" };
  return { account: { login: a.login, id: a.id }, agent: known.agent };
}
