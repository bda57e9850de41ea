// GitHub's App manifest flow, the one request `agent-gate setup` makes: the one-time code GitHub redirected with is
// exchanged for the new App's id, private key and webhook secret. No App, token or Octokit exists yet, so this is a
// plain fetch; the answer is parsed before it is used, and every failure says what was expected.
import { z } from "zod";
import { describeError } from "../../core/errors.js";
import { secureUrlProblem } from "../../core/secure-url.js";
import { readBodyAtMost } from "../bounded-read.js";

/** The conversion's answer (the App's ids, key and secrets) is a few KiB; more is not GitHub's answer to keep. */
const CONVERSION_ANSWER_MAX_BYTES = 1024 * 1024;

export const MANIFEST_EXCHANGE_TIMEOUT_MS = 30_000;

/** What the conversion answers (GitHub's `integration` plus the credentials); only what setup uses is read. */
const Conversion = z.object({
  id: z.number().int().positive(),
  slug: z.string().optional(),
  name: z.string(),
  html_url: z.string(),
  pem: z.string().includes("PRIVATE KEY", { error: "expected a PEM private key" }),
  webhook_secret: z.string().nullable(),
});
export type ManifestConversion = z.infer<typeof Conversion>;

/** Why the exchange failed: GitHub could not be reached, or it refused the code or answered something else. */
export type ManifestFailure = { readonly code: "GITHUB_UNREACHABLE" | "MANIFEST_CONVERSION_FAILED"; readonly message: string };

/** Exchanges the one-time code at POST {apiUrl}/app-manifests/{code}/conversions. */
export async function convertManifest(apiUrl: string, code: string, fetchFn: typeof globalThis.fetch, timeoutMs = MANIFEST_EXCHANGE_TIMEOUT_MS): Promise<{ ok: true; app: ManifestConversion } | ({ ok: false } & ManifestFailure)> {
  const failed = (message: string): { ok: false } & ManifestFailure => ({ ok: false, code: "MANIFEST_CONVERSION_FAILED", message });
  // The answer carries the App's private key and secrets: never over plain http (but to this machine's loopback).
  const insecure = secureUrlProblem(apiUrl, "GitHub API");
  if (insecure !== undefined) return failed(`refusing to exchange the code: ${insecure}`);
  let res: Response;
  try {
    res = await fetchFn(`${apiUrl}/app-manifests/${encodeURIComponent(code)}/conversions`, {
      method: "POST",
      headers: { accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28", "user-agent": "agent-gate-setup" },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    return { ok: false, code: "GITHUB_UNREACHABLE", message: `cannot reach ${apiUrl}: ${describeError(e)}` };
  }
  let bytes: Buffer | undefined;
  try {
    bytes = await readBodyAtMost(res, CONVERSION_ANSWER_MAX_BYTES);
  } catch (e) {
    return { ok: false, code: "GITHUB_UNREACHABLE", message: `${apiUrl} did not finish its answer to the code exchange: ${describeError(e)}` };
  }
  if (bytes === undefined) return failed(`GitHub's answer to the code exchange is over ${CONVERSION_ANSWER_MAX_BYTES} bytes; expected the new App's settings (a few KiB)`);
  const text = bytes.toString("utf8");
  if (res.status !== 201) {
    let message = text.slice(0, 300);
    try {
      const m = (JSON.parse(text) as { message?: unknown }).message;
      if (typeof m === "string") message = m;
    } catch {
      // not JSON: the text itself
    }
    const hint = res.status === 404 ? " (the code is unknown, used already or expired: GitHub's last an hour and work once)" : "";
    return failed(`GitHub answered ${res.status} to the code exchange: ${message}${hint}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return failed("GitHub's answer to the code exchange is not JSON");
  }
  const r = Conversion.safeParse(parsed);
  if (!r.success) return failed(`GitHub's answer to the code exchange lacks ${r.error.issues.map((i) => i.path.join(".")).join(", ")}`);
  return { ok: true, app: r.data };
}
