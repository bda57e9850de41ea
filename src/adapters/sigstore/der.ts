// The one DER reader for bytes an outsider controls: CMS signatures (gitsign), certificates (a bundle's leaf, the
// CMS's, a log entry's), RFC 3161 tokens and certificate extension values. @sigstore/core's ASN1Obj.parseBuffer is
// never handed such bytes: it parses every OCTET STRING as nested DER on speculation, lets a child run past its
// parent (a failed guess then reads what follows again, so a few hundred crafted bytes take minutes, doubling with
// every 6 bytes more), recurses once per level (a stack overflow at ~10,000), and its toDER() re-encodes a subtree
// once per level through a buffer that grows 1 KiB at a time (quadratic).
//
// This reader is one pass with an explicit stack: each element is read once, inside its parent, and its byte range
// in the input kept. Canonical DER is checked in the same pass: one-byte tags, definite and minimal lengths, one
// element spanning the input, SEQUENCE and SET constructed, the primitive types primitive, and the encodings the
// verifier reads (BOOLEAN, INTEGER, NULL, OBJECT IDENTIFIER, BIT STRING) minimal. Depth and element counts are
// capped. OCTET STRINGs stay opaque unless the caller opens them (the library's certificate and timestamp accessors
// read extension values and the TSTInfo from inside them): an opened one whose content is not canonical DER within
// the caps stays opaque, as the library leaves it, and nothing is read twice. A node is an ASN1Obj, so the library's
// accessors work on it, and its toDER() is a copy of its own bytes in the input (the library writes into what
// toDER() returns), so the library's re-encodings (signed attributes, TSTInfo, public key) are linear slices.
import { ASN1Obj, RFC3161Timestamp, X509Certificate } from "@sigstore/core";
import { ASN1Tag } from "@sigstore/core/dist/asn1/tag.js";

/** CMS, certificates and timestamp tokens nest about 15 deep. */
export const MAX_DER_DEPTH = 32;
/** A gitsign CMS holds about 300 elements, a timestamp token with its certificates a few hundred. */
export const MAX_DER_ELEMENTS = 10_000;
/** The library decodes an INTEGER in time quadratic in its length; none the verifier reads is near this. */
export const MAX_DER_INTEGER_BYTES = 1024;
/** A Fulcio or TSA certificate is 1-3 KB; the library's key-usage decoder allocates one array slot per bit. */
export const MAX_CERTIFICATE_BYTES = 64 * 1024;

export class DerError extends Error {}

export interface DerOptions {
  readonly maxDepth?: number;
  readonly maxElements?: number;
  /** Read inside OCTET STRINGs whose content is canonical DER within the caps (else they stay opaque). */
  readonly openOctetStrings?: boolean;
}

/** One element: its tag byte, and where its header starts, its content starts and it ends, in `input`. */
export interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly content: number;
  readonly end: number;
}

export class DerNode extends ASN1Obj {
  declare readonly subs: DerNode[];
  constructor(
    tag: ASN1Tag,
    value: Buffer,
    subs: DerNode[],
    private readonly input: Buffer,
    /** Where the element's header starts and where it ends in the input. */
    readonly start: number,
    readonly end: number,
  ) {
    super(tag, value, subs);
  }
  /** The element as it is in the input (a view, not a copy). */
  get der(): Buffer {
    return this.input.subarray(this.start, this.end);
  }
  /** The element's own bytes (canonical DER re-encodes to itself), copied: the library writes into the result. */
  override toDER(): Buffer {
    return Buffer.from(this.der);
  }
  /** The tag byte (class, constructed bit and number). */
  get tagByte(): number {
    return this.tag.toDER();
  }
}

export interface DerTree {
  readonly root: DerNode;
  /** Elements read, including those of an opened OCTET STRING that turned out opaque: the work done. */
  readonly elements: number;
}

/**
 * Reads a header at `at`, inside [at, limit): the tag and a definite, minimal length; returns why not as a string.
 * Tags are one byte (no high-tag-number form) and not universal 0, which the library refuses too.
 */
export function readHeader(buf: Uint8Array, at: number, limit: number): Tlv | string {
  if (at + 2 > limit) return `DER: truncated element at byte ${at}`;
  const tag = buf[at]!;
  if ((tag & 0x1f) === 0x1f) return `DER: a multi-byte tag at byte ${at}; expected one-byte tags`;
  if ((tag & 0xdf) === 0) return `DER: tag 0 at byte ${at}`;
  let len = buf[at + 1]!;
  let content = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) return `DER: an indefinite length at byte ${at}; expected a definite length`;
    if (n > 4) return `DER: a ${n}-byte length at byte ${at}; expected at most 4`;
    if (content + n > limit) return `DER: truncated length at byte ${at}`;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[content + i]!;
    if (buf[content] === 0 || len < 0x80) return `DER: length not minimally encoded at byte ${at}`;
    content += n;
  }
  const end = content + len;
  if (end > limit) return `DER: element at byte ${at} overruns its parent`;
  return { tag, start: at, content, end };
}

// universal types that DER encodes primitive only, and the two it encodes constructed only
const PRIMITIVE_ONLY = new Set([1, 2, 3, 4, 5, 6, 10, 12, 18, 19, 20, 22, 23, 24, 26, 28, 30]);
const NAMES: Readonly<Record<number, string>> = { 1: "BOOLEAN", 2: "INTEGER", 3: "BIT STRING", 4: "OCTET STRING", 5: "NULL", 6: "OBJECT IDENTIFIER", 10: "ENUMERATED", 16: "SEQUENCE", 17: "SET" };

const what = (num: number, t: Tlv): string => `${NAMES[num] ?? `universal type ${num}`} at byte ${t.start}`;

/** Why an element's encoding is not canonical DER (its constructed bit, or a primitive's content), or undefined. */
export function encodingProblem(buf: Uint8Array, t: Tlv): string | undefined {
  if ((t.tag & 0xc0) !== 0) return undefined; // context-specific, application, private: the schema's business
  const num = t.tag & 0x1f;
  const constructed = (t.tag & 0x20) !== 0;
  if ((num === 16 || num === 17) && !constructed) return `DER: a primitive ${what(num, t)}; expected it constructed`;
  if (!PRIMITIVE_ONLY.has(num)) return undefined;
  if (constructed) return `DER: a constructed ${what(num, t)} (BER); expected it primitive`;
  const len = t.end - t.content;
  const b0 = buf[t.content]!;
  const b1 = buf[t.content + 1]!;
  switch (num) {
    case 1:
      return len === 1 && (b0 === 0 || b0 === 0xff) ? undefined : `DER: a ${what(num, t)} that is not one byte 00 or FF`;
    case 2:
    case 10:
      if (len === 0) return `DER: an empty ${what(num, t)}`;
      if (len > MAX_DER_INTEGER_BYTES) return `DER: an ${what(num, t)} of ${len} bytes; expected at most ${MAX_DER_INTEGER_BYTES}`;
      return len > 1 && ((b0 === 0 && b1 < 0x80) || (b0 === 0xff && b1 >= 0x80)) ? `DER: an ${what(num, t)} not minimally encoded` : undefined;
    case 3:
      return len === 0 || b0 > 7 || (len === 1 && b0 !== 0) ? `DER: a ${what(num, t)} with a bad unused-bits count` : undefined;
    case 5:
      return len === 0 ? undefined : `DER: a ${what(num, t)} with content`;
    case 6:
      if (len === 0 || buf[t.end - 1]! & 0x80) return `DER: an ${what(num, t)} that is empty or truncated`;
      for (let i = t.content; i < t.end; i++) if (buf[i] === 0x80 && (i === t.content || !(buf[i - 1]! & 0x80))) return `DER: an ${what(num, t)} not minimally encoded`;
      return undefined;
    default:
      return undefined;
  }
}

const TAGS: ASN1Tag[] = [];
const tagOf = (b: number): ASN1Tag => (TAGS[b] ??= new ASN1Tag(b));

interface Frame extends Tlv {
  readonly subs: DerNode[];
  /** An opened OCTET STRING: a problem inside it makes it opaque instead of failing the whole read. */
  readonly opened: boolean;
}

/** Reads `input` as exactly one canonical DER element; throws DerError naming the first problem. Linear. */
export function readDer(input: Buffer, opts: DerOptions = {}): DerTree {
  const maxDepth = opts.maxDepth ?? MAX_DER_DEPTH;
  const maxElements = opts.maxElements ?? MAX_DER_ELEMENTS;
  const open = opts.openOctetStrings === true;
  const node = (t: Tlv, subs: DerNode[]): DerNode => new DerNode(tagOf(t.tag), input.subarray(t.content, t.end), subs, input, t.start, t.end);
  const stack: Frame[] = [];
  const top: DerNode[] = [];
  let elements = 0;
  let at = 0;
  const add = (n: DerNode): void => {
    (stack.length > 0 ? stack[stack.length - 1]!.subs : top).push(n);
  };
  // a problem inside an opened OCTET STRING leaves the innermost one opaque (as the library's parser does); elsewhere it fails
  const problem = (why: string): void => {
    let i = stack.length - 1;
    while (i >= 0 && !stack[i]!.opened) i--;
    if (i < 0) throw new DerError(why);
    const f = stack[i]!;
    stack.length = i;
    add(node(f, []));
    at = f.end;
  };
  for (;;) {
    while (stack.length > 0 && at === stack[stack.length - 1]!.end) {
      const f = stack.pop()!;
      add(node(f, f.subs));
    }
    if (stack.length === 0 && top.length > 0) break;
    const h = readHeader(input, at, stack.length > 0 ? stack[stack.length - 1]!.end : input.length);
    if (typeof h === "string") {
      problem(h);
      continue;
    }
    if (++elements > maxElements) throw new DerError(`DER: more than ${maxElements} elements; expected at most ${maxElements}`);
    const why = encodingProblem(input, h) ?? (stack.length >= maxDepth ? `DER: nested deeper than ${maxDepth} levels` : undefined);
    if (why !== undefined) {
      problem(why);
      continue;
    }
    const constructed = (h.tag & 0x20) !== 0;
    if (constructed || (open && h.tag === 0x04 && h.end > h.content)) {
      stack.push({ tag: h.tag, start: h.start, content: h.content, end: h.end, subs: [], opened: !constructed }); // no spread: slow in a hot loop
      at = h.content;
    } else {
      add(node(h, []));
      at = h.end;
    }
  }
  const root = top[0]!;
  if (root.der.length !== input.length) throw new DerError(`DER: ${input.length - root.der.length} bytes after the element; expected one element`);
  return { root, elements };
}

/**
 * A certificate from its DER, as @sigstore/core's X509Certificate over a tree read here (OCTET STRINGs opened for
 * the extension accessors); throws DerError when it is not one canonical DER SEQUENCE of three parts.
 */
export function parseCertificate(der: Buffer): X509Certificate {
  if (der.length > MAX_CERTIFICATE_BYTES) throw new DerError(`DER: a certificate of ${der.length} bytes; expected at most ${MAX_CERTIFICATE_BYTES}`);
  const { root } = readDer(der, { openOctetStrings: true });
  if (root.tagByte !== 0x30 || root.subs.length !== 3 || root.subs[0]!.tagByte !== 0x30) {
    throw new DerError("DER: a certificate is not SEQUENCE { tbsCertificate, signatureAlgorithm, signature }");
  }
  return new X509Certificate(root);
}

/** An RFC 3161 token (TimeStampResp) as @sigstore/core's RFC3161Timestamp over a tree read here (the TSTInfo opened). */
export function parseTimestamp(der: Buffer): RFC3161Timestamp {
  const { root } = readDer(der, { openOctetStrings: true });
  if (root.tagByte !== 0x30) throw new DerError("DER: a timestamp response is not a SEQUENCE");
  return new RFC3161Timestamp(root);
}
