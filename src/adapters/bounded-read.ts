// Bytes from outside read with a cap: at most cap + 1 bytes are ever read, whatever a file's or an answer's size, so
// an oversized input costs the cap and no more. Each caller names what it read and the cap in its own error.
// test/architecture/answer-reads.test.ts keeps every HTTP answer in src/ read through here.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/**
 * How long one request to an outside service may take, its answer's body included (the CLI's Rekor, timestamp
 * authority, Actions OIDC and pull-request requests): a service that never answers fails the command, named.
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
 * An HTTP answer's body parsed as JSON, or `{ tooLarge: true }` past `max` bytes, or `{ notJson: why }`. JSON.parse is
 * linear in the text, and the text is at most `max` bytes.
 */
export async function readJsonAtMost(res: Response, max: number): Promise<{ readonly value: unknown } | { readonly tooLarge: true } | { readonly notJson: string }> {
  const bytes = await readBodyAtMost(res, max);
  if (bytes === undefined) return { tooLarge: true };
  try {
    return { value: JSON.parse(bytes.toString("utf8")) as unknown };
  } catch (e) {
    return { notJson: e instanceof Error ? e.name : "not JSON" };
  }
}
