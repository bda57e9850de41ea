// Trusted roots are linted before use: the library reads a missing validity start as 1970 and accepts empty roots.
import { X509Certificate } from "@sigstore/core";
import { createPublicKey } from "node:crypto";

const MEDIA_TYPE = /^application\/vnd\.dev\.sigstore\.trustedroot(\+json;version=0\.[12]|\.v0\.[12]\+json)$/;

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

// A TimeRange's start is required by the protobuf spec; a public key may omit validFor altogether (unbounded).
function checkValidity(where: string, v: unknown, problems: string[], optional = false): void {
  if (optional && v === undefined) return;
  if (!isObj(v) || typeof v.start !== "string") {
    problems.push(`${where}.validFor.start is missing (a validity without a start would be read as 1970)`);
    return;
  }
  const start = Date.parse(v.start);
  if (Number.isNaN(start)) problems.push(`${where}.validFor.start is not a timestamp: ${v.start}`);
  if (v.end !== undefined && v.end !== null) { // JSON null is an open end, as protobuf JSON reads it
    const end = typeof v.end === "string" ? Date.parse(v.end) : NaN;
    if (Number.isNaN(end)) problems.push(`${where}.validFor.end is not a timestamp`);
    else if (end < start) problems.push(`${where}.validFor ends before it starts`);
  }
}

function checkLogs(name: string, logs: unknown, required: boolean, problems: string[]): void {
  if (!Array.isArray(logs) || (required && logs.length === 0)) {
    if (required || logs !== undefined) problems.push(`${name} must be a non-empty list`);
    return;
  }
  logs.forEach((log: unknown, i) => {
    const where = `${name}[${i}]`;
    if (!isObj(log)) return void problems.push(`${where} is not an object`);
    if (typeof log.baseUrl !== "string" || log.baseUrl === "") problems.push(`${where}.baseUrl is missing`);
    if (!isObj(log.logId) || typeof log.logId.keyId !== "string" || log.logId.keyId === "") problems.push(`${where}.logId.keyId is missing`);
    const pk = log.publicKey;
    if (!isObj(pk) || typeof pk.rawBytes !== "string" || pk.rawBytes === "") return void problems.push(`${where}.publicKey.rawBytes is missing`);
    try {
      const der = Buffer.from(pk.rawBytes, "base64");
      const pkcs1 = typeof pk.keyDetails === "string" && pk.keyDetails.startsWith("PKCS1_");
      createPublicKey({ key: der, format: "der", type: pkcs1 ? "pkcs1" : "spki" });
    } catch {
      problems.push(`${where}.publicKey.rawBytes is not a public key`);
    }
    checkValidity(`${where}.publicKey`, pk.validFor, problems, true);
  });
}

function checkAuthorities(name: string, cas: unknown, problems: string[]): void {
  if (cas === undefined) return;
  if (!Array.isArray(cas)) return void problems.push(`${name} must be a list`);
  cas.forEach((ca: unknown, i) => {
    const where = `${name}[${i}]`;
    if (!isObj(ca)) return void problems.push(`${where} is not an object`);
    const certs = isObj(ca.certChain) ? ca.certChain.certificates : undefined;
    if (!Array.isArray(certs) || certs.length === 0) return void problems.push(`${where}.certChain has no certificates`);
    certs.forEach((c: unknown, j) => {
      try {
        if (!isObj(c) || typeof c.rawBytes !== "string" || c.rawBytes === "") throw new Error("missing");
        X509Certificate.parse(Buffer.from(c.rawBytes, "base64"));
      } catch {
        problems.push(`${where}.certChain.certificates[${j}] is not a DER certificate`);
      }
    });
    checkValidity(where, ca.validFor, problems);
  });
}

// Roots known to pass (linted once, or vouched for by the facts of their exact bytes, root-facts.ts), frozen so that
// no later change can slip past the verdict: loading a root and building its verifier lint it once, not twice.
const passed = new WeakSet<object>();

/**
 * Freezes a parsed root deeply and remembers that it passes: lintTrustedRoot answers [] for this object from now on.
 * Only for a root that lintTrustedRoot passed, or parsed from bytes whose passing root-facts.ts recorded.
 */
export function rememberPassed(root: object): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== "object" || v === null || Object.isFrozen(v)) continue;
    Object.freeze(v);
    for (const k of Object.keys(v)) stack.push((v as Json)[k]);
  }
  passed.add(root);
}

/** Every reason the root cannot be trusted; empty when it passes. */
export function lintTrustedRoot(root: unknown): string[] {
  if (!isObj(root)) return ["the trusted root is not a JSON object"];
  if (passed.has(root)) return [];
  const problems: string[] = [];
  if (typeof root.mediaType !== "string" || !MEDIA_TYPE.test(root.mediaType)) {
    problems.push(`unexpected mediaType ${JSON.stringify(root.mediaType)}; expected application/vnd.dev.sigstore.trustedroot+json;version=0.1`);
  }
  // A root without tlogs and without CT logs is a timestamp-only instance (GitHub's own Sigstore): its TSAs are its
  // one source of signed time. Any other root keeps needing tlogs, and CT logs for its CAs.
  const nonEmpty = (v: unknown): boolean => Array.isArray(v) && v.length > 0;
  const timestampOnly = !nonEmpty(root.tlogs) && !nonEmpty(root.ctlogs) && nonEmpty(root.timestampAuthorities);
  checkLogs("tlogs", root.tlogs, !timestampOnly, problems);
  if (!timestampOnly && !nonEmpty(root.tlogs)) {
    problems[problems.length - 1] += " (a root without tlogs must list timestampAuthorities and no ctlogs: a timestamp-only instance)";
  }
  checkLogs("ctlogs", root.ctlogs, false, problems);
  checkAuthorities("certificateAuthorities", root.certificateAuthorities, problems);
  checkAuthorities("timestampAuthorities", root.timestampAuthorities, problems);
  const hasCA = nonEmpty(root.certificateAuthorities);
  if (hasCA && !timestampOnly && !nonEmpty(root.ctlogs)) {
    problems.push("certificateAuthorities are listed but no ctlogs: certificate SCTs could not be verified");
  }
  return problems;
}
