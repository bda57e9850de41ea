// The one rule for a URL a credential or signed material is sent to (a token, an OIDC token, a signature): https,
// or plain http to this machine's loopback only (local test servers). Used by every CLI flag that sends one.

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** Why `url` may not be sent a credential, or undefined when it may; `what` names it ("GitHub API", "Fulcio"). */
export function secureUrlProblem(url: string, what: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `expected an https:// ${what} URL, got something that is not a URL (${url.length} characters, not shown)`;
  }
  if (u.protocol === "https:") return undefined;
  if (u.protocol === "http:" && LOOPBACK.has(u.hostname)) return undefined;
  return `expected an https:// ${what} URL (plain http only to 127.0.0.1 or localhost), got ${u.protocol}//${u.host}`;
}
