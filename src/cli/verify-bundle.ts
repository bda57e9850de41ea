// `agent-gate verify-bundle`: the sigstore-conformance client protocol.
//   agent-gate verify-bundle --bundle FILE (--certificate-identity ID | --certificate-identity-regexp RE)
//     (--certificate-oidc-issuer URL | --no-oidc-issuer) | --key PEM [--key-hint HINT]) [--type PREDICATE_TYPE]
//     [--trusted-root [NAME=]FILE|github|public-good]... [--json] FILE_OR_DIGEST
// Exit 0 when verified; 1 with a one-line reason on stderr when not; 2 for bad arguments, unreadable inputs or an
// unusable trusted root (args.ts: the contract every command keeps).
import { existsSync, readFileSync, statSync } from "node:fs";
import { readFileAtMost } from "../adapters/bounded-read.js";
import { DEFAULT_MAX_BUNDLE_BYTES } from "../adapters/sigstore/verifier-types.js";
import { sha256Hex } from "../core/digest.js";
import { describeError } from "../core/errors.js";
import type { VerifiedBundle } from "../core/verification.js";
import { CliFailure, EXIT_FAILED, EXIT_OK, UsageError, directIo, runCommand, type Io } from "./args.js";
import { RootFacts } from "../adapters/sigstore/root-facts.js";
import type { FactsStore } from "../adapters/sigstore/root-facts.js";
import type { SignerPolicy, SubjectSpec } from "../adapters/sigstore/verifier.js";
import { TRUSTED_ROOT_USAGE, verifierForRoots } from "./trusted-roots.js";

const USAGE = `usage: agent-gate verify-bundle --bundle FILE
         (--certificate-identity ID | --certificate-identity-regexp ^RE$) (--certificate-oidc-issuer URL | --no-oidc-issuer)
         | --key PUBLIC_KEY.pem [--key-hint HINT]
         [--type PREDICATE_TYPE] [--trusted-root [NAME=]trusted_root.json | github | public-good]... [--json] FILE_OR_DIGEST
FILE_OR_DIGEST is sha256:HEX, sha384:HEX or sha512:HEX (a digest the bundle signs or its statement names), or
gitCommit:HEX (40 or 64 hex digits: an in-toto statement subject naming that commit, as agent-gate attest writes);
anything else is the artifact's path. ALG:... is never read as a file: give a file so named as ./NAME. The output
(text and --json "subject") names what was verified: the digest, the commit, or the file and its sha256.
--bundle FILE is read up to the verifier's cap of 8 MiB and refused past it (exit 1, BUNDLE_MALFORMED).
--no-oidc-issuer: the certificate must carry no OIDC issuer extension (GitHub's own release attestations); only with
an exact --certificate-identity.
--type: the bundle must hold an in-toto statement of exactly this predicate type; any other is refused.
${TRUSTED_ROOT_USAGE}`;

function readFile(what: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${describeError(e)}`);
  }
}

/** A bundle or key file, never read past `max` + 1 bytes: the bundle's cap is the verifier's own. */
function readCapped(what: string, path: string, max: number, tooLarge: (bytes: number) => CliFailure | UsageError): Buffer {
  let got;
  try {
    got = readFileAtMost(path, max);
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${describeError(e)}`);
  }
  if (!Buffer.isBuffer(got)) throw tooLarge(got.tooLarge);
  return got;
}

const MAX_KEY_BYTES = 64 * 1024;
const DIGEST_HEX: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };
const EXPECTED_SUBJECT = "an existing artifact file, sha256:HEX, sha384:HEX, sha512:HEX or gitCommit:HEX";

/** What was verified, as the output names it. */
type Subject = { spec: SubjectSpec; commit?: string; names: { kind: "digest" | "commit" | "file"; subject: string; file?: string } };

/**
 * The verifier's subject; a gitCommit is checked here against the statement the verifier returns. ALG:... always
 * reads as a digest or commit, never as a file of that name (a checkout could hold one, signed over anything): a
 * file so named is given as ./NAME (any path with a slash is a path).
 */
function subjectOf(arg: string): Subject {
  const m = /^([A-Za-z0-9]{1,16}):([^/\\]*)$/s.exec(arg);
  if (!m) {
    if (!existsSync(arg) || !statSync(arg).isFile()) throw new UsageError(`expected ${EXPECTED_SUBJECT}, got ${JSON.stringify(arg.slice(0, 200))}`);
    const bytes = readFile("artifact", arg);
    return { spec: { kind: "artifact", bytes }, names: { kind: "file", subject: `sha256:${sha256Hex(bytes)}`, file: arg } };
  }
  const alg = m[1]!.toLowerCase();
  const asFile = existsSync(arg) ? `; ${JSON.stringify(arg.slice(0, 200))} is read as ALG:HEX, never as a file: for the file give ./${arg.slice(0, 200)}` : "";
  if (!/^[0-9a-fA-F]+$/.test(m[2]!)) throw new UsageError(`expected ${EXPECTED_SUBJECT}: hex digits after ${m[1]}:${asFile}`);
  const hex = m[2]!.toLowerCase();
  const want = DIGEST_HEX[alg];
  if (want !== undefined) {
    if (hex.length !== want) throw new UsageError(`expected ${want} hex digits after ${alg}:, got ${hex.length}${asFile}`);
    return { spec: { kind: "digest", algorithm: alg as "sha256" | "sha384" | "sha512", hex }, names: { kind: "digest", subject: `${alg}:${hex}` } };
  }
  if (alg === "gitcommit") {
    if (hex.length !== 40 && hex.length !== 64) throw new UsageError(`expected 40 (SHA-1) or 64 (SHA-256) hex digits after gitCommit:, got ${hex.length}${asFile}`);
    return { spec: { kind: "in-toto-statement", subjectsBoundBy: "caller" }, commit: hex, names: { kind: "commit", subject: `gitCommit:${hex}` } };
  }
  if (alg === "sha1") throw new UsageError(`sha1 is not accepted as an artifact digest; for a git commit give gitCommit:HEX${asFile}`);
  throw new UsageError(`expected ${EXPECTED_SUBJECT}; the digest algorithm ${JSON.stringify(m[1])} is not one of sha256, sha384, sha512, gitCommit${asFile}`);
}

function signerOf(v: Record<string, string | boolean | string[] | undefined>): SignerPolicy {
  const str = (k: string): string | undefined => (typeof v[k] === "string" ? v[k] : undefined);
  const identity = str("certificate-identity");
  const pattern = str("certificate-identity-regexp");
  const issuer = str("certificate-oidc-issuer");
  const noIssuer = v["no-oidc-issuer"] === true;
  const key = str("key");
  if (key !== undefined) {
    if (identity !== undefined || pattern !== undefined || issuer !== undefined || noIssuer) {
      throw new UsageError("expected either --key or --certificate-identity/--certificate-oidc-issuer, not both");
    }
    const hint = str("key-hint");
    const pem = readCapped("public key", key, MAX_KEY_BYTES, (n) => new UsageError(`public key ${key} is ${n} bytes or more; expected a PEM public key of at most ${MAX_KEY_BYTES} bytes`));
    return { kind: "key", publicKeyPem: pem.toString("utf8"), ...(hint !== undefined ? { keyHint: hint } : {}) };
  }
  if (str("key-hint") !== undefined) throw new UsageError("--key-hint names a key: give it with --key");
  if (identity !== undefined && pattern !== undefined) throw new UsageError("expected one of --certificate-identity and --certificate-identity-regexp, not both");
  if (identity === undefined && pattern === undefined) {
    throw new UsageError("expected the signer: --certificate-identity ID (or --certificate-identity-regexp ^RE$) with --certificate-oidc-issuer URL, or --key PEM");
  }
  if (noIssuer) {
    if (issuer !== undefined) throw new UsageError("expected one of --certificate-oidc-issuer and --no-oidc-issuer, not both");
    if (identity === undefined) throw new UsageError("--no-oidc-issuer needs an exact --certificate-identity, not a pattern");
    return { kind: "certificate", identity, issuer: null };
  }
  if (issuer === undefined || issuer === "") {
    throw new UsageError("expected --certificate-oidc-issuer URL with the certificate identity (or --no-oidc-issuer for a certificate without an issuer extension)");
  }
  return pattern !== undefined ? { kind: "certificate", identityPattern: pattern, issuer } : { kind: "certificate", identity: identity!, issuer };
}

/** What the verifier leaves to its caller: the commit a gitCommit subject names, the predicate type --type names. */
function checkStatement(outcome: VerifiedBundle, commit: string | undefined, type: string | undefined): void {
  const st = outcome.statement;
  if (commit !== undefined) {
    if (!st?.subject.some((s) => s.digest["gitCommit"]?.toLowerCase() === commit)) {
      const named = (st?.subject ?? []).slice(0, 5).map((s) => `${s.name} (${Object.entries(s.digest).map(([a, h]) => `${a}:${h}`).join(", ")})`).join("; ");
      throw new CliFailure("SUBJECT_MISMATCH", `expected a statement subject with gitCommit:${commit}; the statement names ${named || "no subject"}`, EXIT_FAILED, { verified: false });
    }
  }
  if (type !== undefined && st?.predicateType !== type) {
    const got = st ? JSON.stringify(st.predicateType.slice(0, 200)) : outcome.contentKind === "dsse" ? "a DSSE payload that is not an in-toto statement" : "a message signature, not an in-toto statement";
    throw new CliFailure("PREDICATE_TYPE_MISMATCH", `expected predicate type ${type}, got ${got}`, EXIT_FAILED, { verified: false });
  }
}

// one verification per process: no verdict cache (its slots are allocated up front)
const ONCE = { verdictCacheSize: 0 } as const;

const OPTIONS = {
  bundle: { type: "string" },
  "certificate-identity": { type: "string" },
  "certificate-identity-regexp": { type: "string" },
  "certificate-oidc-issuer": { type: "string" },
  key: { type: "string" },
  "key-hint": { type: "string" },
  "no-oidc-issuer": { type: "boolean" },
  type: { type: "string" },
  "trusted-root": { type: "string", multiple: true },
} as const;

const SPEC = { name: "verify-bundle", usage: USAGE, options: OPTIONS, positionals: { min: 1, max: 1, what: "one FILE_OR_DIGEST" } };

/**
 * `store`: where facts derived from the trusted roots' exact bytes are kept between runs (root-facts.ts), given by
 * bin/agent-gate.js from the code cache's directory; without it every run derives them again.
 */
export function verifyBundleCommand(args: string[], io: Io = directIo(), store?: FactsStore): Promise<number> {
  return runCommand(SPEC, args, io, ({ values, positionals, json, emit }) => {
    if (values.bundle === undefined) throw new UsageError("expected --bundle FILE");
    const signer = signerOf(values);
    const subject = subjectOf(positionals[0]!);
    const type = values.type;
    if (type !== undefined && type.trim() === "") throw new UsageError("expected --type PREDICATE_TYPE, got an empty string");
    const bundlePath = values.bundle;
    const bundle = readCapped("bundle", bundlePath, DEFAULT_MAX_BUNDLE_BYTES, (n) =>
      new CliFailure("BUNDLE_MALFORMED", `the bundle ${bundlePath} is ${n} bytes or more; expected at most ${DEFAULT_MAX_BUNDLE_BYTES} bytes (8 MiB) of JSON, the verifier's cap (no more of it was read)`, EXIT_FAILED, { verified: false }),
    );
    const facts = new RootFacts(store);
    const outcome = verifierForRoots(values["trusted-root"] ?? [], facts, ONCE).verify({ bundle, subject: subject.spec, signer });
    facts.save();
    if (!outcome.ok) throw new CliFailure(outcome.code, outcome.message, EXIT_FAILED, { verified: false });
    checkStatement(outcome, subject.commit, type);
    if (json) {
      const { signer: s, tlogEntries, timestamps, statement, mediaType, contentKind, bundleDigest, dssePayload } = outcome;
      emit({ verified: true, subject: subject.names, mediaType, contentKind, bundleDigest, signer: s, tlogEntries, timestamps, statement, dssePayload });
    } else {
      const what = subject.names.file !== undefined ? `file ${subject.names.file} (${subject.names.subject})` : subject.names.subject;
      io.out(`OK: ${what} signed by ${outcome.signer.identity ?? `key ${outcome.signer.keyHint ?? ""}`.trim()} (trusted root ${outcome.signer.root ?? "public-good"})`);
    }
    return EXIT_OK;
  });
}
