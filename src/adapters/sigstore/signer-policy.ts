// Signer policies: validated before any verification; identity is matched exactly or by a full-match pattern.
import { createPublicKey } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { RE2JS } from "re2js";
import type { SignerPolicy } from "./verifier.js";

/** Longest identity pattern accepted, in UTF-16 code units: a SAN pattern is a URL or an e-mail address with a few classes. */
export const IDENTITY_PATTERN_MAX_LENGTH = 1024;

// Characters JavaScript's `.` never matches but RE2's does (RE2 excludes only \n), and no certificate SAN holds.
// A SAN with any of them matches no pattern, so moving from RegExp to RE2 widens no pattern.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/u;

/**
 * A full-match predicate for a user-given identity pattern, or why the pattern is unusable.
 * The pattern is matched by RE2 (re2js), whose time is linear in the SAN whatever the pattern, so a pattern such
 * as ^(a+)+$ cannot hang the App. It must also be valid JavaScript syntax (with the u flag), as it always had to:
 * RegExp only parses it, never runs it. Syntax RE2 has no linear-time answer for (lookaround, backreferences) and
 * JavaScript-only escapes (\u0041, \cA) are refused with the pattern named.
 */
export function compileIdentityPattern(pat: string, opts: { readonly caseInsensitive?: boolean } = {}): ((san: string) => boolean) | string {
  if (pat.length > IDENTITY_PATTERN_MAX_LENGTH) {
    return `identity pattern is ${pat.length} characters; expected at most ${IDENTITY_PATTERN_MAX_LENGTH}`;
  }
  try {
    // Parsed for the syntax check only (a parse is linear in the pattern); never used to match.
    new RegExp(`^(?:${pat})$`, "u");
  } catch (e) {
    return `identity pattern does not compile: ${(e as Error).message}`;
  }
  let re: RE2JS;
  try {
    // wrapped again so that "^a|b$" cannot match a SAN that merely starts with a or ends with b
    re = RE2JS.compile(`^(?:${pat})$`, opts.caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (e) {
    return `identity pattern ${JSON.stringify(pat)} cannot be compiled by the linear-time matcher (RE2: no lookaround, backreferences or JavaScript-only escapes such as \\u0041): ${(e as Error).message}`;
  }
  return (san) => typeof san === "string" && !CONTROL.test(san) && re.testExact(san);
}

export type CompiledSigner =
  // anyIssuer: every identity the trusted root certifies, whatever its issuer (the App's PR evidence: who may vouch
  // is decided by the policy from the signer's facts)
  | { kind: "certificate"; describe: string; matches(san: string): boolean; issuer: string | null; anyIssuer?: true }
  | { kind: "key"; describe: string; key: KeyObject; spki: Buffer; keyHint?: string };

/** Whether a certificate's OIDC issuer (undefined: no issuer extension) is the one a compiled signer expects. */
export function issuerFits(signer: Extract<CompiledSigner, { kind: "certificate" }>, issuer: string | undefined): boolean {
  return signer.anyIssuer === true || (issuer ?? null) === signer.issuer;
}

/** Any certificate identity the trusted root certifies (a SAN with control characters matches nothing, as for patterns). */
const ANY_IDENTITY: CompiledSigner = {
  kind: "certificate",
  describe: "any identity the trusted root certifies",
  matches: (san) => typeof san === "string" && san !== "" && !CONTROL.test(san),
  issuer: null,
  anyIssuer: true,
};

/** Compiles a policy or returns why it is unusable (POLICY_INVALID). */
export function compileSigner(p: SignerPolicy): CompiledSigner | string {
  if (typeof p !== "object" || p === null) return "expected a signer policy object";
  if (p.kind === "any-certificate") return ANY_IDENTITY;
  if (p.kind === "certificate") {
    // null: a certificate without an OIDC issuer extension (GitHub's release attestations), for an exact identity only
    const noIssuer = p.issuer === null && !("identityPattern" in p && p.identityPattern !== undefined);
    if (!noIssuer && (typeof p.issuer !== "string" || p.issuer === "")) return "expected a non-empty OIDC issuer (null, for no issuer extension, only with an exact identity)";
    if ("identityPattern" in p && p.identityPattern !== undefined) {
      const pat = p.identityPattern;
      if (typeof pat !== "string" || !pat.startsWith("^") || !pat.endsWith("$") || pat.endsWith("\\$") || pat.length < 3) {
        return `expected an identity pattern anchored with ^...$, got ${JSON.stringify(pat)}`;
      }
      const compiled = compileIdentityPattern(pat);
      if (typeof compiled === "string") return compiled;
      return { kind: "certificate", describe: `identity matching ${pat}`, matches: compiled, issuer: p.issuer };
    }
    if (!("identity" in p) || typeof p.identity !== "string" || p.identity === "") return "expected a non-empty certificate identity";
    const id = p.identity;
    return { kind: "certificate", describe: `identity ${id}`, matches: (san) => san === id, issuer: p.issuer };
  }
  if (p.kind === "key") {
    if (typeof p.publicKeyPem !== "string" || !p.publicKeyPem.includes("-----BEGIN PUBLIC KEY-----")) {
      return "expected a PEM SPKI public key (-----BEGIN PUBLIC KEY-----)";
    }
    try {
      const key = createPublicKey({ key: p.publicKeyPem, format: "pem" });
      const spki = key.export({ format: "der", type: "spki" });
      return { kind: "key", describe: "the caller's public key", key, spki, ...(p.keyHint !== undefined ? { keyHint: p.keyHint } : {}) };
    } catch (e) {
      return `public key does not parse: ${(e as Error).message}`;
    }
  }
  return `expected signer kind "certificate", "any-certificate" or "key", got ${JSON.stringify((p as { kind?: unknown }).kind)}`;
}
