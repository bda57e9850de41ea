// Why a text is not JSON, without its bytes: JSON.parse's own message quotes a snippet of the text (Node 20+:
// `Unexpected token 'g', "ghs_abc…" is not valid JSON`), and the text may be a key or a token given by mistake.

/** "at line L, column C" (1-based) of `text`, or "" when the parser named no position. */
export function positionIn(text: string, err: unknown): string {
  const msg = err instanceof Error ? err.message : "";
  if (/end of JSON input|Unterminated/i.test(msg)) return "it ends too early";
  const lc = /line (\d+) column (\d+)/.exec(msg);
  if (lc) return `at line ${lc[1]}, column ${lc[2]}`;
  const at = /position (\d+)/.exec(msg);
  if (!at) return "";
  const offset = Math.min(Number(at[1]), text.length);
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return `at line ${line}, column ${offset - before.lastIndexOf("\n")}`;
}

/** Why `text` is not JSON: where, never what (the caller names the file). */
export function jsonErrorWithoutText(text: string, err: unknown): string {
  const where = positionIn(text, err);
  return `expected JSON, found text that is not${where ? ` (${where})` : ""}; its content is not quoted, as it may be a secret`;
}
