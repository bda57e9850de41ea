// `agent-gate verify-bundle`: the sigstore-conformance client protocol.
//   agent-gate verify-bundle --bundle FILE (--certificate-identity ID | --certificate-identity-regexp RE)
//     --certificate-oidc-issuer URL | --key PEM [--key-hint HINT]) [--trusted-root [NAME=]FILE|github]... [--json] FILE_OR_DIGEST
// Exit 0 when verified; 1 with a one-line reason on stderr when not; 2 for bad arguments, unreadable inputs or an
// unusable trusted root (args.ts: the contract every command keeps).
import { existsSync, readFileSync, statSync } from "node:fs";
import { describeError } from "../core/errors.js";
import { CliFailure, EXIT_FAILED, EXIT_OK, UsageError, directIo, runCommand, type Io } from "./args.js";
import { loadNamedRoots, loadPinnedRoot, parseRootEntry } from "../adapters/sigstore/trusted-root.js";
import { createVerifier } from "../adapters/sigstore/verifier.js";
import { RootFacts } from "../adapters/sigstore/root-facts.js";
import type { FactsStore } from "../adapters/sigstore/root-facts.js";
import type { SignerPolicy, SubjectSpec } from "../adapters/sigstore/verifier.js";

const USAGE = `usage: agent-gate verify-bundle --bundle FILE
         (--certificate-identity ID | --certificate-identity-regexp ^RE$) --certificate-oidc-issuer URL
         | --key PUBLIC_KEY.pem [--key-hint HINT]
         [--trusted-root [NAME=]trusted_root.json | github | public-good]... [--json] FILE_OR_DIGEST
FILE_OR_DIGEST is the artifact's path, or sha256:<64 hex digits> when it is not an existing path.
--trusted-root may be repeated: the bundle is verified against the root whose CA issued its certificate (key-signed
bundles: the first root). "github" and "public-good" are the pinned roots; a bare FILE is named "custom".
Default: the pinned public-good root.`;


function readFile(what: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${describeError(e)}`);
  }
}

function subjectOf(arg: string): SubjectSpec {
  if (existsSync(arg) && statSync(arg).isFile()) return { kind: "artifact", bytes: readFile("artifact", arg) };
  const m = /^sha256:([0-9a-fA-F]{64})$/.exec(arg);
  if (m?.[1]) return { kind: "digest", algorithm: "sha256", hex: m[1].toLowerCase() };
  throw new UsageError(`expected an existing artifact file or sha256:<64 hex digits>, got ${JSON.stringify(arg)}`);
}

function signerOf(v: Record<string, string | boolean | string[] | undefined>): SignerPolicy {
  const str = (k: string): string | undefined => (typeof v[k] === "string" ? v[k] : undefined);
  const identity = str("certificate-identity");
  const pattern = str("certificate-identity-regexp");
  const issuer = str("certificate-oidc-issuer");
  const key = str("key");
  if (key !== undefined) {
    if (identity !== undefined || pattern !== undefined || issuer !== undefined) {
      throw new UsageError("expected either --key or --certificate-identity/--certificate-oidc-issuer, not both");
    }
    const hint = str("key-hint");
    return { kind: "key", publicKeyPem: readFile("public key", key).toString("utf8"), ...(hint !== undefined ? { keyHint: hint } : {}) };
  }
  if (identity !== undefined && pattern !== undefined) throw new UsageError("expected one of --certificate-identity and --certificate-identity-regexp, not both");
  if (identity === undefined && pattern === undefined) {
    throw new UsageError("expected the signer: --certificate-identity ID (or --certificate-identity-regexp ^RE$) with --certificate-oidc-issuer URL, or --key PEM");
  }
  if (issuer === undefined) throw new UsageError("expected --certificate-oidc-issuer URL with the certificate identity");
  return pattern !== undefined ? { kind: "certificate", identityPattern: pattern, issuer } : { kind: "certificate", identity: identity!, issuer };
}

// one verification per process: no verdict cache (its slots are allocated up front)
const ONCE = { verdictCacheSize: 0 } as const;

function verifierOf(entries: readonly string[], facts: RootFacts): ReturnType<typeof createVerifier> {
  if (entries.length === 0) return createVerifier({ trustedRoot: loadPinnedRoot(facts), ...ONCE });
  const listed = entries.map((e) => parseRootEntry(e, "custom"));
  const bare = listed.filter((e) => e.name === "custom").length;
  if (bare > 1 && entries.length > 1) throw new UsageError("expected NAME=FILE for each of several --trusted-root files (a bare FILE is named custom, and names must differ)");
  const [primary, ...more] = loadNamedRoots(listed, facts);
  return createVerifier({ trustedRoot: primary!.root, trustedRootName: primary!.name, additionalRoots: more, ...ONCE });
}

const OPTIONS = {
  bundle: { type: "string" },
  "certificate-identity": { type: "string" },
  "certificate-identity-regexp": { type: "string" },
  "certificate-oidc-issuer": { type: "string" },
  key: { type: "string" },
  "key-hint": { type: "string" },
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
    const bundle = readFile("bundle", values.bundle);
    const facts = new RootFacts(store);
    const outcome = verifierOf(values["trusted-root"] ?? [], facts).verify({ bundle, subject, signer });
    facts.save();
    if (!outcome.ok) throw new CliFailure(outcome.code, outcome.message, EXIT_FAILED, { verified: false });
    if (json) {
      const { signer: s, tlogEntries, timestamps, statement, mediaType, contentKind, bundleDigest, dssePayload } = outcome;
      emit({ verified: true, mediaType, contentKind, bundleDigest, signer: s, tlogEntries, timestamps, statement, dssePayload });
    } else {
      io.out(`OK: ${outcome.signer.identity ?? `key ${outcome.signer.keyHint ?? ""}`.trim()} (trusted root ${outcome.signer.root ?? "public-good"})`);
    }
    return EXIT_OK;
  });
}
