// The one rule for a URL a credential or signed material is sent to (a token, an OIDC token, a signature): https,
// or plain http to this machine's loopback only (local test servers). Used by every CLI flag that sends one, and by
// the App's settings (server-env.ts). And how a URL is shown in a message: without its credentials.

/** Whether a host name (as URL.hostname gives it, or a HOST setting) is this machine's loopback. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === "localhost" || h === "[::1]" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Why `url` may not be sent a credential, or undefined when it may; `what` names it ("GitHub API", "Fulcio"). */
export function secureUrlProblem(url: string, what: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `expected an https:// ${what} URL, got something that is not a URL (${url.length} characters, not shown)`;
  }
  if (u.protocol === "https:") return undefined;
  if (u.protocol === "http:" && isLoopbackHost(u.hostname)) return undefined;
  return `expected an https:// ${what} URL (plain http only to 127.0.0.1 or localhost), got ${u.protocol}//${u.host}`;
}

/**
 * The URL as it may be shown (messages, logs): scheme, host, port and path only. The user and password are dropped,
 * and so is every query parameter's value (pg takes `?password=`, `sslkey=`, `sslpassword=`; a storage URL's `sig=`).
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    const names = [...new Set(u.searchParams.keys())];
    const query = names.length > 0 ? `?${names.map((n) => `${encodeURIComponent(n)}=***`).join("&")}` : "";
    return `${u.protocol}//${u.host}${u.pathname}${query}`;
  } catch {
    return "(unparseable URL)";
  }
}

/** `text` with every http(s) URL in it shown as redactUrl shows it (a library's error may quote the URL it was given). */
export function redactUrls(text: string): string {
  return text.replace(/\bhttps?:\/\/[^\s"'<>]{1,4096}/gi, (url) => redactUrl(url));
}
