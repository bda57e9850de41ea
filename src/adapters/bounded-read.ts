// Bytes from outside read with a cap: at most cap + 1 bytes are ever read, whatever a file's or an answer's size, so
// an oversized input costs the cap and no more. Each caller names what it read and the cap in its own error.
// test/architecture/answer-reads.test.ts keeps every HTTP answer in src/ read through here.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { positionIn } from "../core/json-error.js";

/**
 * How long one request to an outside service may take, its answer's body included (the CLI's Rekor, timestamp
 * authority, Actions OIDC and pull-request requests, each through fetchWithTimeout): a service that never answers
 * fails the command, named.
 */
export const ANSWER_DEADLINE_MS = 30_000;

/**
 * A file's bytes, or `{ tooLarge }` (the bytes it holds, at least max + 1) when it holds more than `max`. The stat'ed
 * size is only a hint (a pipe, a file growing meanwhile): reading stops at the end or one byte past the cap. Throws as
 * openSync and readSync do.
 */
export function readFileAtMost(path: string, max: number): Buffer | { readonly tooLarge: number } {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    if (size > max) return { tooLarge: size };
    const chunks: Buffer[] = [];
    let n = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(size >= n ? size - n + 1 : 64 * 1024, max + 1 - n));
      const got = readSync(fd, chunk, 0, chunk.length, null);
      if (got === 0) break;
      chunks.push(chunk.subarray(0, got));
      n += got;
      if (n > max) return { tooLarge: n };
    }
    return Buffer.concat(chunks, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * An HTTP answer's body as it streams, or undefined once it passes `max` bytes (a declared Content-Length past it is
 * refused before any of the body is read; the rest of the stream is cancelled, never read into memory).
 */
export async function readBodyAtMost(res: Response, max: number): Promise<Buffer | undefined> {
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel().catch(() => undefined);
    return undefined;
  }
  if (!res.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/**
 * An HTTP answer's body parsed as JSON, or what it was instead, for the caller's "X answered {problem}; expected Y":
 * "more than N bytes", or "text that is not JSON (at line L, column C)" (never the text: it may hold a secret).
 * JSON.parse is linear in the text, and the text is at most `max` bytes.
 */
export async function readJsonAtMost(res: Response, max: number): Promise<{ readonly value: unknown } | { readonly problem: string }> {
  const bytes = await readBodyAtMost(res, max);
  if (bytes === undefined) return { problem: `more than ${max} bytes` };
  const text = bytes.toString("utf8");
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (e) {
    const where = positionIn(text, e);
    return { problem: `text that is not JSON${where ? ` (${where})` : ""}` };
  }
}
