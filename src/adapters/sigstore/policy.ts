// Signer policies: validated before any verification; identity is matched exactly or by a full-match pattern.
import { createPublicKey } from "node:crypto";
import type { KeyObject } from "node:crypto";
import type { SignerPolicy } from "./verifier.js";

export type CompiledSigner =
  | { kind: "certificate"; describe: string; matches(san: string): boolean; issuer: string }
  | { kind: "key"; describe: string; key: KeyObject; spki: Buffer; keyHint?: string };

/** Compiles a policy or returns why it is unusable (POLICY_INVALID). */
export function compileSigner(p: SignerPolicy): CompiledSigner | string {
  if (typeof p !== "object" || p === null) return "expected a signer policy object";
  if (p.kind === "certificate") {
    if (typeof p.issuer !== "string" || p.issuer === "") return "expected a non-empty OIDC issuer";
    if ("identityPattern" in p && p.identityPattern !== undefined) {
      const pat = p.identityPattern;
      if (typeof pat !== "string" || !pat.startsWith("^") || !pat.endsWith("$") || pat.endsWith("\\$") || pat.length < 3) {
        return `expected an identity pattern anchored with ^...$, got ${JSON.stringify(pat)}`;
      }
      let re: RegExp;
      try {
        // wrapped again so that "^a|b$" cannot match a SAN that merely starts with a or ends with b
        re = new RegExp(`^(?:${pat})$`, "u");
      } catch (e) {
        return `identity pattern does not compile: ${(e as Error).message}`;
      }
      return { kind: "certificate", describe: `identity matching ${pat}`, matches: (san) => re.test(san), issuer: p.issuer };
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
  return `expected signer kind "certificate" or "key", got ${JSON.stringify((p as { kind?: unknown }).kind)}`;
}
