// Tiny DER and byte helpers the fakes need where the x509 libraries have no API.
import { Buffer } from "node:buffer";

export function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function derOctetString(content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([0x04]), derLength(content.length), content]);
}

export function derUtf8String(value: string): Buffer {
  const bytes = Buffer.from(value, "utf8");
  return Buffer.concat([Buffer.from([0x0c]), derLength(bytes.length), bytes]);
}

export function uint(n: number | bigint, width: number): Buffer {
  const out = Buffer.alloc(width);
  let v = BigInt(n);
  for (let i = width - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export const toArrayBuffer = (b: Uint8Array): ArrayBuffer => {
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return copy.buffer;
};
