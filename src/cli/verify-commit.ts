// `agent-gate verify-commit`: verifies a gitsign-signed commit offline, with the conventions of verify-bundle.
//   agent-gate verify-commit --commit-file RAW_COMMIT (--certificate-identity ID | --certificate-identity-regexp RE)
//     --certificate-oidc-issuer URL [--trusted-root FILE] [--json]
// Exit 0 when verified; 1 with the reason when not (NO_SIGNED_TIME for a commit without an embedded Rekor entry);
// 2 for bad arguments, an unreadable commit file or an unusable trusted root (args.ts: the contract every command keeps).
import { openSync, readSync, closeSync } from "node:fs";
import { describeError } from "../core/errors.js";
import { CliFailure, EXIT_FAILED, EXIT_OK, UsageError, consoleIo, runCommand, type Io } from "./args.js";
import { loadPinnedRoot, loadRootFile } from "../adapters/sigstore/trusted-root.js";
import { MAX_COMMIT_BYTES, commitTrustMaterial, verifyGitsignCommit } from "../adapters/sigstore/gitsign.js";
import type { SignerPolicy } from "../adapters/sigstore/verifier.js";

const USAGE = `usage: agent-gate verify-commit --commit-file RAW_COMMIT
         (--certificate-identity ID | --certificate-identity-regexp ^RE$) --certificate-oidc-issuer URL
         [--trusted-root trusted_root.json] [--json]
RAW_COMMIT is what \`git cat-file commit SHA\` prints for a gitsign-signed commit. Verification is offline: only a
commit carrying its Rekor entry (gitsign.rekorMode=offline) has a signed time; others fail with NO_SIGNED_TIME.`;

// reads at most one byte past the cap, so a huge file is refused without being loaded
function readCommit(path: string): Buffer {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const buf = Buffer.alloc(MAX_COMMIT_BYTES + 1);
    let n = 0;
    for (let r; n < buf.length && (r = readSync(fd, buf, n, buf.length - n, null)) > 0; ) n += r;
    if (n > MAX_COMMIT_BYTES) throw new UsageError(`commit file ${path} is larger than ${MAX_COMMIT_BYTES} bytes; expected one raw commit object`);
    return buf.subarray(0, n);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read commit file ${path}: ${describeError(e)}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function signerOf(v: Record<string, string | boolean | undefined>): Extract<SignerPolicy, { kind: "certificate" }> {
  const str = (k: string): string | undefined => (typeof v[k] === "string" ? v[k] : undefined);
  const identity = str("certificate-identity");
  const pattern = str("certificate-identity-regexp");
  const issuer = str("certificate-oidc-issuer");
  if (identity !== undefined && pattern !== undefined) throw new UsageError("expected one of --certificate-identity and --certificate-identity-regexp, not both");
  if (identity === undefined && pattern === undefined) throw new UsageError("expected the signer: --certificate-identity ID (or --certificate-identity-regexp ^RE$)");
  if (issuer === undefined) throw new UsageError("expected --certificate-oidc-issuer URL with the certificate identity");
  return pattern !== undefined ? { kind: "certificate", identityPattern: pattern, issuer } : { kind: "certificate", identity: identity!, issuer };
}

const OPTIONS = {
  "commit-file": { type: "string" },
  "certificate-identity": { type: "string" },
  "certificate-identity-regexp": { type: "string" },
  "certificate-oidc-issuer": { type: "string" },
  "trusted-root": { type: "string" },
} as const;

const SPEC = { name: "verify-commit", usage: USAGE, options: OPTIONS };

export function verifyCommitCommand(args: string[], io: Io = consoleIo()): Promise<number> {
  return runCommand(SPEC, args, io, ({ values, json, emit }) => {
    if (values["commit-file"] === undefined) throw new UsageError("expected --commit-file RAW_COMMIT (the output of git cat-file commit SHA)");
    const signer = signerOf(values);
    const commit = readCommit(values["commit-file"]);
    const trust = commitTrustMaterial(values["trusted-root"] !== undefined ? loadRootFile(values["trusted-root"]) : loadPinnedRoot());
    const outcome = verifyGitsignCommit({ commit, signer, trust });
    // a signer policy the caller got wrong (an unanchored pattern) is their usage error, not the commit's failure
    if (!outcome.ok && outcome.code === "POLICY_INVALID") throw new UsageError(outcome.message);
    if (!outcome.ok) throw new CliFailure(outcome.code, outcome.message, EXIT_FAILED, { verified: false });
    if (json) emit({ verified: true, payloadSha256: outcome.payloadSha256, signer: outcome.signer, tlogEntry: outcome.tlogEntry });
    else io.out(`OK: ${outcome.signer.identity} (${outcome.signer.issuer}), Rekor log index ${outcome.tlogEntry.logIndex} at ${outcome.tlogEntry.integratedTime}`);
    return EXIT_OK;
  });
}
