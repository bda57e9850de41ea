// A gitsign-compatible commit signer for tests and demo scenarios, against the tests' own Sigstore
// (test/support/sigstore): it does what `gitsign` does with gitsign.rekorMode=offline.
//
//   1. an ephemeral P-256 key and a Fulcio leaf for it (SAN = the OIDC identity, issuer extensions, embedded SCT);
//   2. a detached CMS SignedData (RFC 5652) over the raw unsigned commit: version 1, digestAlgorithms {sha256},
//      encapContentInfo id-data without content, certificates [0] = the leaf only, one SignerInfo identified by
//      issuerAndSerialNumber with signed attributes contentType = id-data, signingTime (UTCTime), messageDigest =
//      sha256(commit), in DER SET OF order, and ecdsa-with-SHA256 over DER(SignedAttrs) tagged as SET OF (0x31);
//   3. a hashedrekord/0.0.1 entry over the signed attributes (data hash sha256(DER(SignedAttrs)), the SignerInfo
//      signature, the leaf PEM) logged in the fake Rekor v1, its dev.sigstore.rekor.v1.TransparencyLogEntry protobuf
//      (canonicalizedBody cleared, as gitsign stores it) put in unsigned attribute 1.3.6.1.4.1.57264.3.1;
//   4. the PEM `-----BEGIN SIGNED MESSAGE-----` (64-column base64) inserted as the `gpgsig` header after the last
//      header line, continuation lines prefixed with one space, as git stores it.
//
// `rekor: "none"` leaves the entry out; `rekor: "online"` does what gitsign's default online mode does: nothing in the
// signature, then the final commit id (40 hex, ASCII) signed with the same key and logged as a hashedrekord.
import { Buffer } from "node:buffer";
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { ASN1Obj } from "@sigstore/core";
import type { TestSigstore } from "./sigstore/index.js";
import type { FulcioExtensionName } from "./sigstore/fulcio.js";
import type { TlogEntryJson } from "./sigstore/bundle.js";
import { derLength, derOctetString } from "./sigstore/der.js";
import { toPem } from "./sigstore/rekor-requests.js";

const MINUTE = 60_000;

export const GITSIGN_OID = {
  signedData: "1.2.840.113549.1.7.2",
  data: "1.2.840.113549.1.7.1",
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  signingTime: "1.2.840.113549.1.9.5",
  sha256: "2.16.840.1.101.3.4.2.1",
  ecdsaSha256: "1.2.840.10045.4.3.2",
  rekorEntry: "1.3.6.1.4.1.57264.3.1",
} as const;

export interface GitsignSignOptions {
  /** The certificate's SAN: an e-mail (a person's gitsign) or a URI (a CI workflow). Default: agent@example.test. */
  readonly san?: { email: string } | { uri: string };
  /** The OIDC issuer in extensions .1.8 and .1.1. Default: https://accounts.google.com when san is an e-mail, else the Actions issuer. */
  readonly issuer?: string;
  readonly extensions?: Partial<Record<FulcioExtensionName, string>>;
  /** When the signature (and the Rekor entry) is made. Default: the world's now. */
  readonly signedAt?: Date;
  /** The CMS signingTime (chosen by the signer; default signedAt). */
  readonly signingTime?: Date;
  /** "embedded" (default): gitsign's offline mode; "online": its online mode (the commit id logged); "none": nothing logged. */
  readonly rekor?: "embedded" | "online" | "none";
  readonly withSct?: boolean;
}

export interface GitsignSignature {
  /** The raw commit with its gpgsig header, byte for byte what `git cat-file commit SHA` prints. */
  readonly signedCommit: Buffer;
  /** The git object id (SHA-1) of signedCommit. */
  readonly sha: string;
  /** The gpgsig value: the PEM SIGNED MESSAGE. */
  readonly pem: string;
  readonly cms: Buffer;
  readonly leaf: Buffer;
  readonly signedAttrs: Buffer;
  readonly signature: Buffer;
  /** The embedded entry, or with rekor "online" the entry over the commit id (to serve from a fake Rekor). */
  readonly tlogEntry?: TlogEntryJson;
}

// ---- DER, only what a SignedData needs ----
const tlv = (tag: number, ...content: Uint8Array[]): Buffer => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
};
const seq = (...c: Uint8Array[]): Buffer => tlv(0x30, ...c);
/** A DER SET OF: elements sorted by their encodings (X.690 11.6). */
const setOf = (...c: Buffer[]): Buffer => tlv(0x31, ...[...c].sort((a, b) => Buffer.compare(a, b)));
const int = (n: number): Buffer => tlv(0x02, Buffer.from([n]));

export function derOid(oid: string): Buffer {
  const parts = oid.split(".").map(Number);
  const bytes = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const chunk = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function utcTime(d: Date): Buffer {
  const p = (n: number): string => String(n).padStart(2, "0");
  const s = `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  return tlv(0x17, Buffer.from(s, "latin1"));
}

const attribute = (oid: string, value: Buffer): Buffer => seq(derOid(oid), setOf(value));

// ---- protobuf, only what a TransparencyLogEntry needs ----
function varint(n: bigint | number | string): Buffer {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? b | 0x80 : b);
  } while (v > 0n);
  return Buffer.from(out);
}
const pbInt = (field: number, n: bigint | number | string): Buffer => Buffer.concat([varint(field << 3), varint(n)]);
const pbBytes = (field: number, b: Uint8Array | string): Buffer => {
  const buf = Buffer.from(b as Uint8Array);
  return Buffer.concat([varint((field << 3) | 2), varint(buf.length), buf]);
};

/** The dev.sigstore.rekor.v1.TransparencyLogEntry protobuf of a log entry, canonicalizedBody cleared (as gitsign stores it). */
export function transparencyLogEntryProto(e: TlogEntryJson): Buffer {
  const b64 = (s: string): Buffer => Buffer.from(s, "base64");
  const parts = [
    pbInt(1, e.logIndex),
    pbBytes(2, pbBytes(1, b64(e.logId.keyId))),
    pbBytes(3, Buffer.concat([pbBytes(1, Buffer.from(e.kindVersion.kind)), pbBytes(2, Buffer.from(e.kindVersion.version))])),
    pbInt(4, e.integratedTime ?? "0"),
  ];
  if (e.inclusionPromise) parts.push(pbBytes(5, pbBytes(1, b64(e.inclusionPromise.signedEntryTimestamp))));
  const p = e.inclusionProof;
  if (p) {
    parts.push(
      pbBytes(
        6,
        Buffer.concat([pbInt(1, p.logIndex), pbBytes(2, b64(p.rootHash)), pbInt(3, p.treeSize), ...p.hashes.map((h) => pbBytes(4, b64(h))), pbBytes(5, pbBytes(1, Buffer.from(p.checkpoint.envelope)))]),
      ),
    );
  }
  return Buffer.concat(parts);
}

/** The PEM gitsign writes: SIGNED MESSAGE, 64-column base64, trailing newline. */
export function signedMessagePem(cms: Uint8Array): string {
  const lines = Buffer.from(cms).toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN SIGNED MESSAGE-----\n${lines.join("\n")}\n-----END SIGNED MESSAGE-----\n`;
}

/** Inserts `gpgsig <pem>` after the last header line, continuation lines prefixed with a space (git's add_header_signature). */
export function withGpgsigHeader(commit: Buffer, pem: string): Buffer {
  const blank = commit.indexOf("\n\n");
  const headerEnd = blank < 0 ? commit.length : blank + 1;
  const header = Buffer.from(`gpgsig ${pem.replace(/\n$/, "").split("\n").join("\n ")}\n`, "utf8");
  return Buffer.concat([commit.subarray(0, headerEnd), header, commit.subarray(headerEnd)]);
}

/** The git object id of a raw commit. */
export const commitSha = (raw: Uint8Array): string => createHash("sha1").update(`commit ${raw.length}\0`).update(raw).digest("hex");

/** A raw unsigned commit object, as git builds it before handing it to gitsign. */
export function rawCommit(opts: { tree?: string; parents?: string[]; author?: string; committer?: string; when?: Date; message: string }): Buffer {
  const when = `${Math.floor((opts.when ?? new Date()).getTime() / 1000)} +0000`;
  const author = opts.author ?? "Agent <agent@example.test>";
  const lines = [`tree ${opts.tree ?? "4b825dc642cb6eb9a060e54bf8d69288fbee4904"}`, ...(opts.parents ?? []).map((p) => `parent ${p}`), `author ${author} ${when}`, `committer ${opts.committer ?? author} ${when}`];
  return Buffer.from(`${lines.join("\n")}\n\n${opts.message}`, "utf8");
}

const hashedRekord = (hashHex: string, signature: Buffer, leaf: Buffer): Record<string, unknown> => ({
  apiVersion: "0.0.1",
  kind: "hashedrekord",
  spec: {
    data: { hash: { algorithm: "sha256", value: hashHex } },
    signature: { content: signature.toString("base64"), publicKey: { content: Buffer.from(toPem(leaf, "CERTIFICATE")).toString("base64") } },
  },
});

/** Signs a raw unsigned commit as gitsign (offline Rekor mode by default) with a fresh Fulcio certificate of `world`. */
export async function gitsignCommit(world: TestSigstore, commit: Buffer, opts: GitsignSignOptions = {}): Promise<GitsignSignature> {
  if (commit.includes("\ngpgsig ")) throw new Error("expected an unsigned commit: this one already has a gpgsig header");
  const signedAt = opts.signedAt ?? world.now;
  const san = opts.san ?? { email: "agent@example.test" };
  const issuer = opts.issuer ?? ("email" in san ? "https://accounts.google.com" : "https://token.actions.githubusercontent.com");
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const notBefore = new Date(signedAt.getTime() - MINUTE);
  const [leaf] = await world.fulcio.issue({
    publicKeySpki: publicKey.export({ format: "der", type: "spki" }),
    san,
    issuer,
    extensions: opts.extensions ?? {},
    notBefore,
    notAfter: new Date(notBefore.getTime() + 10 * MINUTE),
    withSct: opts.withSct,
  });
  if (!leaf) throw new Error("the fake Fulcio issued no certificate");
  const tbs = ASN1Obj.parseBuffer(leaf as Buffer<ArrayBuffer>).subs[0]!;
  const serial = Buffer.from(tbs.subs[1]!.toDER());
  const issuerName = Buffer.from(tbs.subs[3]!.toDER());

  const attrs = [
    attribute(GITSIGN_OID.contentType, derOid(GITSIGN_OID.data)),
    attribute(GITSIGN_OID.signingTime, utcTime(opts.signingTime ?? signedAt)),
    attribute(GITSIGN_OID.messageDigest, derOctetString(createHash("sha256").update(commit).digest())),
  ];
  const signedAttrs = setOf(...attrs); // what is signed: the SET OF encoding
  const signature = sign("sha256", signedAttrs, privateKey);

  let tlogEntry: TlogEntryJson | undefined;
  let unsigned: Buffer[] = [];
  if ((opts.rekor ?? "embedded") === "embedded") {
    tlogEntry = world.rekorV1.log(hashedRekord(createHash("sha256").update(signedAttrs).digest("hex"), signature, leaf), signedAt);
    unsigned = [tlv(0xa1, attribute(GITSIGN_OID.rekorEntry, derOctetString(transparencyLogEntryProto(tlogEntry))))];
  }

  const sha256Alg = seq(derOid(GITSIGN_OID.sha256));
  const signerInfo = seq(
    int(1),
    seq(issuerName, serial),
    sha256Alg,
    Buffer.concat([Buffer.from([0xa0]), signedAttrs.subarray(1)]), // the same bytes, tagged [0] IMPLICIT inside SignerInfo
    seq(derOid(GITSIGN_OID.ecdsaSha256)),
    derOctetString(signature),
    ...unsigned,
  );
  const signedData = seq(int(1), setOf(sha256Alg), seq(derOid(GITSIGN_OID.data)), tlv(0xa0, leaf), setOf(signerInfo));
  const cms = seq(derOid(GITSIGN_OID.signedData), tlv(0xa0, signedData));
  const pem = signedMessagePem(cms);
  const signedCommit = withGpgsigHeader(commit, pem);
  const sha = commitSha(signedCommit);
  if (opts.rekor === "online") {
    const idSignature = sign("sha256", Buffer.from(sha, "latin1"), privateKey);
    tlogEntry = world.rekorV1.log(hashedRekord(createHash("sha256").update(sha).digest("hex"), idSignature, leaf), signedAt);
  }
  return { signedCommit, sha, pem, cms, leaf, signedAttrs, signature, tlogEntry };
}
