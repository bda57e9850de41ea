// The organisation's revocation list (issue 18 item 3): .github/agent-gate-revocations.yml in the owner's `.github`
// repository, read from its default branch only. What it names is denied in every repository of the owner, whatever
// their own config says: it is policy data of its own (`data.revoked`), outside rules, rule modes and shadow mode.
// A broken file fails closed: every evaluation of the owner is CONFIG_INVALID naming the file and line.
import { z } from "zod";
import { readConfigDocument, schemaErrors, type ConfigError, type Locate } from "./config-document.js";
import { SIGNER_FORMS, show } from "./repo-config.js";

export const REVOCATIONS_REPO = ".github";
export const REVOCATIONS_PATH = ".github/agent-gate-revocations.yml";
/** Entries of one kind at most: each is matched against every attestation of an evaluation. */
export const MAX_REVOCATIONS = 500;

const text = (what: string) => z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });
const reason = () => text("a reason shown to reviewers").max(500, { error: "expected a reason of at most 500 characters" }).optional().describe("shown to reviewers with the denial");
const list = <T extends z.ZodType>(item: T) => z.array(item, { error: "expected a list" }).max(MAX_REVOCATIONS, { error: `expected at most ${MAX_REVOCATIONS} entries` }).default([]);

/**
 * A leaf certificate: the sha256 of its TBSCertificate (the part its CA signed, the same for every encoding of it) or
 * of its DER (those bytes only: the CA's signature can be re-encoded); `sha256:HEX`, bare HEX, or openssl's
 * `AB:CD:...`; kept as `sha256:hex`. Either matches (docs/revocation.md).
 */
const fingerprint = () =>
  z
    .string({ error: "expected a sha256 fingerprint (sha256:<64 hex>)" })
    .transform((v) => v.trim().replace(/^sha256:/i, "").replace(/:/g, "").toLowerCase())
    .refine((v) => /^[0-9a-f]{64}$/.test(v), { error: "expected a sha256 fingerprint of the leaf certificate's TBSCertificate or DER (sha256:<64 hex>, or AB:CD:... as openssl prints it)" })
    .transform((v) => `sha256:${v}`);

// The whole log id (the sha256 of the log's key, 64 hex, as the bundle and `rekor-cli loginfo` give it): a shorter
// prefix (the 16-hex tree id of a UUID, say) never equals a verified entry's log id, so it is refused.
const logId = () =>
  z
    .string({ error: "expected a log id (64 hex)" })
    .transform((v) => v.trim().toLowerCase())
    .refine((v) => /^[0-9a-f]{64}$/.test(v), { error: "expected a log id of 64 hex (the sha256 of the log's public key; a 16-hex tree id or other prefix never matches)" });

const SignerRevocation = z.union(
  SIGNER_FORMS.map((f) => f.extend({ reason: reason() })) as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]],
  { error: "expected a signer as in rules.signers ({identity, issuer}, {identity_pattern, issuer}, {owner, repo?, workflow?, ...} or {key}), with an optional reason" },
);

// A Rekor entry: its log (the log id, hex, as `rekor-cli get` and the bundle give it) and index, or its UUID (the
// entry's leaf hash, 64 hex, optionally after a 16-hex tree id).
const RekorRevocation = z.union(
  [
    z.strictObject({
      log_id: logId(),
      log_index: z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()], { error: "expected a log index (a whole number)" }).transform((v) => String(v)),
      reason: reason(),
    }),
    z.strictObject({
      uuid: z
        .string({ error: "expected an entry UUID (64 or 80 hex)" })
        .transform((v) => v.trim().toLowerCase())
        .refine((v) => /^([0-9a-f]{16})?[0-9a-f]{64}$/.test(v), { error: "expected an entry UUID (64 hex, or 80 with the tree id)" })
        .transform((v) => v.slice(-64)),
      reason: reason(),
    }),
  ],
  { error: "expected {log_id, log_index} or {uuid}, with an optional reason" },
);

const ModelRevocation = z.strictObject({
  model: text('a model id "provider/model"').regex(/^[^/\s]+\/[^\s]+$/, { error: 'expected a model id "provider/model"' }),
  version: text("a model version").optional().describe("absent: every version"),
  reason: reason(),
});

const AgentRevocation = z.strictObject({
  name: text("an agent name (the statement's runtime, e.g. claude-code)"),
  version: text("an agent version").optional().describe("absent: every version"),
  reason: reason(),
});

// A commit signature key: the gitsign certificate (its TBS or DER fingerprint) a signed commit was signed with.
const CommitKeyRevocation = z.strictObject({ fingerprint: fingerprint(), reason: reason() });
const CertificateRevocation = z.strictObject({ fingerprint: fingerprint(), reason: reason() });

export const Revocations = z.strictObject({
  version: z.literal(1, { error: "expected 1" }).default(1),
  signers: list(SignerRevocation).describe("signers whose every attestation is revoked (the forms of rules.signers)"),
  certificates: list(CertificateRevocation).describe("leaf certificates by the sha256 fingerprint of their TBSCertificate (or of their DER)"),
  rekor_entries: list(RekorRevocation).describe("transparency-log entries: {log_id, log_index} or {uuid}"),
  models: list(ModelRevocation).describe("models (any statement naming them: the agent's, a subagent's, a tool's), optionally one version"),
  agents: list(AgentRevocation).describe("agents (the statement's runtime name), optionally one version"),
  commit_keys: list(CommitKeyRevocation).describe("gitsign certificates of signed commits, by TBS (or DER) fingerprint"),
});
export type Revocations = z.output<typeof Revocations>;

/** The revocation list as policy data (`data.revoked`): the entries, where they were read, and their digest. */
export interface RevokedData extends Omit<Revocations, "version"> {
  readonly source: string;
  readonly digest: string;
}

export const NO_REVOCATIONS: Omit<Revocations, "version"> = { signers: [], certificates: [], rekor_entries: [], models: [], agents: [], commit_keys: [] };

export type RevocationsResult =
  | { readonly ok: true; readonly revocations: Revocations }
  | { readonly ok: false; readonly errors: readonly ConfigError[]; readonly messages: readonly string[] };

/** Validates a revocation list already read as a value; errors carry the path, line and column. */
export function validateRevocations(value: unknown, locate: Locate = () => undefined, file = REVOCATIONS_PATH): RevocationsResult {
  const parsed = Revocations.safeParse(value ?? {}, { reportInput: true });
  if (parsed.success) return { ok: true, revocations: parsed.data };
  return { ok: false, ...schemaErrors(parsed.error.issues, locate, file, show) };
}

/** Parses the YAML text of the revocation file; an empty file revokes nothing. */
export function parseRevocations(text: string, file = REVOCATIONS_PATH): RevocationsResult {
  const doc = readConfigDocument(text, file);
  return doc.ok ? validateRevocations(doc.value, doc.locate, file) : doc;
}

/** How many entries a list holds, all kinds together. */
export function revocationCount(r: Omit<Revocations, "version">): number {
  return r.signers.length + r.certificates.length + r.rekor_entries.length + r.models.length + r.agents.length + r.commit_keys.length;
}
