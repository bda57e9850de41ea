// Several trust roots at once, each named: the public-good root, GitHub's own Sigstore instance, custom roots. Each
// root carries its own thresholds, derived from what it lists: a root with transparency logs requires a verified
// tlog entry, a root with CT logs a verified SCT, a root without tlogs (GitHub's: timestamps only) an RFC 3161
// timestamp from its own TSAs. A certificate's root is the one whose Fulcio CA issued it (a path is built to each
// root's CAs); never the bundle's say-so, and never a root whose CA did not issue it, so a bundle cannot borrow a
// looser root's thresholds.
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { toTrustMaterial } from "@sigstore/verify";
import type { TrustMaterial } from "@sigstore/verify";
import type { X509Certificate } from "@sigstore/core";
import { AgentGateError, describeError } from "../../core/errors.js";
import { readFileSync } from "node:fs";
import { lintTrustedRoot } from "./rootlint.js";
import { PINNED_ROOTS } from "./trusted-root.js";
import { leafPath } from "./ca-path.js";
import type { PathLeaf } from "./ca-path.js";
import { Fail } from "./verify-fail.js";

/** A trusted root with the name verdicts and the check run show: "public-good", "github", or an operator's name. */
export interface NamedTrustedRoot {
  readonly name: string;
  readonly root: unknown; // trusted_root.json, parsed
  /** Verified tlog entries required; default 1 when the root lists tlogs, else 0. */
  readonly tlogThreshold?: number;
  /** Verified SCTs required; default 1 when the root lists CT logs, else 0. */
  readonly ctlogThreshold?: number;
  /** Signed times required (tlog SETs and RFC 3161 tokens); default 1. */
  readonly timestampThreshold?: number;
}

/** The trust of one root as the verifier uses it. */
export interface RootTrust {
  readonly name: string;
  readonly tm: TrustMaterial;
  readonly caCerts: ReadonlySet<string>; // hex DER of every certificate in the root's CA chains
  readonly caDers: readonly (readonly Buffer[])[]; // each CA's chain as the root holds it, in tm.certificateAuthorities' order
  readonly tlog: number;
  readonly ctlog: number;
  readonly timestamp: number;
  /** RFC 3161 timestamps from this root's TSAs required: 1 for a root without tlogs, else 0. */
  readonly rfc3161: number;
}

/** Names a root may have: short, lowercase, shown in check runs and logs. */
export const ROOT_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/**
 * The name of a root given without one: the instance whose pinned root shares a CA certificate with it
 * ("public-good" for the pinned or a TUF-refreshed public-good root, "github"), else "custom" (a private deployment,
 * the tests' own Sigstore). Read from the root's own certificates, never from anything a bundle says.
 */
export function defaultRootName(caCerts: ReadonlySet<string>): string {
  for (const [name, certs] of pinnedCaCerts()) if ([...certs].some((c) => caCerts.has(c))) return name;
  return "custom";
}

let pinned: [string, Set<string>][] | undefined;
function pinnedCaCerts(): [string, Set<string>][] {
  pinned ??= Object.entries(PINNED_ROOTS).map(([name, path]): [string, Set<string>] => {
    const certs = new Set<string>();
    try {
      const root = TrustedRoot.fromJSON(JSON.parse(readFileSync(path, "utf8")));
      for (const ca of root.certificateAuthorities) for (const c of ca.certChain?.certificates ?? []) certs.add(Buffer.from(c.rawBytes).toString("hex"));
    } catch {
      // a missing pinned file names nothing; the root is then "custom"
    }
    return [name, certs];
  });
  return pinned;
}

const int = (name: string, v: number | undefined, fallback: number, min: number): number => {
  const n = v ?? fallback;
  if (!Number.isInteger(n) || n < min) throw new AgentGateError("VERIFIER_OPTIONS_INVALID", `expected ${name} to be an integer >= ${min}, got ${String(v)}`);
  return n;
};

/** Lints and loads one root; throws TRUSTED_ROOT_INVALID naming the root, or VERIFIER_OPTIONS_INVALID for thresholds it cannot meet. */
export function rootTrust(spec: NamedTrustedRoot | (Omit<NamedTrustedRoot, "name"> & { name?: undefined })): RootTrust {
  const given = spec.name;
  if (given !== undefined && (typeof given !== "string" || !ROOT_NAME.test(given))) {
    throw new AgentGateError("VERIFIER_OPTIONS_INVALID", `expected a trusted root name of lowercase letters, digits, '.', '_' or '-' (at most 64), got ${JSON.stringify(given)}`);
  }
  let name = given ?? "given";
  const problems = lintTrustedRoot(spec.root);
  if (problems.length > 0) throw new AgentGateError("TRUSTED_ROOT_INVALID", `the trusted root ${name} is refused: ${problems.join("; ")}`);
  let tm: TrustMaterial;
  const caCerts = new Set<string>();
  let caDers: Buffer[][];
  try {
    const root = TrustedRoot.fromJSON(spec.root);
    caDers = root.certificateAuthorities.map((ca) => (ca.certChain?.certificates ?? []).map((c) => Buffer.from(c.rawBytes)));
    for (const der of caDers.flat()) caCerts.add(der.toString("hex"));
    tm = toTrustMaterial(root, () => {
      throw new Error("keys come from the signer policy");
    });
  } catch (e) {
    throw new AgentGateError("TRUSTED_ROOT_INVALID", `the trusted root ${name} does not load: ${describeError(e)}`, "invalid-input", { cause: e });
  }
  name = given ?? defaultRootName(caCerts);
  const tlog = int(`tlogThreshold of root ${name}`, spec.tlogThreshold, tm.tlogs.length > 0 ? 1 : 0, 0);
  const ctlog = int(`ctlogThreshold of root ${name}`, spec.ctlogThreshold, tm.ctlogs.length > 0 ? 1 : 0, 0);
  const timestamp = int(`timestampThreshold of root ${name}`, spec.timestampThreshold, 1, 1);
  if (tlog > 0 && tm.tlogs.length === 0) throw new AgentGateError("VERIFIER_OPTIONS_INVALID", `tlogThreshold ${tlog} cannot be met: the trusted root ${name} lists no tlogs`);
  if (ctlog > 0 && tm.ctlogs.length === 0) throw new AgentGateError("VERIFIER_OPTIONS_INVALID", `ctlogThreshold ${ctlog} cannot be met: the trusted root ${name} lists no ctlogs`);
  return { name, tm, caCerts, caDers, tlog, ctlog, timestamp, rfc3161: tm.tlogs.length === 0 ? 1 : 0 };
}

/**
 * The roots of one verifier, the primary first (key-signed bundles use it). Names must differ, and no CA certificate
 * may be in two roots: a certificate must name exactly one root.
 */
export function rootTrusts(specs: readonly Parameters<typeof rootTrust>[0][]): RootTrust[] {
  const roots = specs.map(rootTrust);
  const names = new Set<string>();
  const owner = new Map<string, string>();
  for (const r of roots) {
    if (names.has(r.name)) throw new AgentGateError("VERIFIER_OPTIONS_INVALID", `two trusted roots are named ${r.name}; expected distinct names`);
    names.add(r.name);
    for (const c of r.caCerts) {
      const other = owner.get(c);
      if (other !== undefined && other !== r.name) {
        throw new AgentGateError(
          "TRUSTED_ROOT_INVALID",
          `the trusted roots ${other} and ${r.name} hold the same CA certificate; a certificate must chain to one root only (drop one of them, or the older copy of the same root)`,
        );
      }
      owner.set(c, r.name);
    }
  }
  return roots;
}

export type ChainPath = X509Certificate[] | undefined;

/** The path from the leaf to each CA of the root (undefined where none): signatures only, validity is checked per signed time. */
export function chainPathsIn(root: RootTrust, leaf: PathLeaf): ChainPath[] {
  return root.tm.certificateAuthorities.map((ca, i): ChainPath => {
    try {
      return leafPath(ca, leaf, root.caDers[i]);
    } catch {
      return undefined;
    }
  });
}

/**
 * The root whose CA issued the certificate: with one root, that root (the chain check then says whether it did);
 * with several, the one root some CA of which the leaf chains to. None, or more than one, is refused.
 */
export function rootOfCertificate(roots: readonly RootTrust[], leaf: X509Certificate, pathsIn: (root: RootTrust) => ChainPath[]): RootTrust {
  if (roots.length === 1) return roots[0]!;
  // paths are built (signatures checked) only in roots holding a CA that names itself the leaf's issuer, by key
  // identifier or by subject, as the path builder matches issuers
  const issuing = roots.filter((r) => mayIssue(r, leaf) && pathsIn(r).some((p) => p !== undefined));
  if (issuing.length === 0) {
    throw new Fail("CERTIFICATE_CHAIN_INVALID", `the signing certificate does not chain to a Fulcio CA of any trusted root (${roots.map((r) => r.name).join(", ")})`);
  }
  if (issuing.length > 1) {
    throw new Fail("CERTIFICATE_CHAIN_INVALID", `the signing certificate chains to CAs of several trusted roots (${issuing.map((r) => r.name).join(", ")}); expected exactly one`);
  }
  return issuing[0]!;
}

function mayIssue(root: RootTrust, leaf: X509Certificate): boolean {
  const aki = leaf.extAuthorityKeyID?.keyIdentifier;
  return root.tm.certificateAuthorities.some((ca) =>
    ca.certChain.some((c) => {
      const ski = c.extSubjectKeyID?.keyIdentifier;
      return aki !== undefined && ski !== undefined ? ski.equals(aki) : c.subject.equals(leaf.issuer);
    }),
  );
}
