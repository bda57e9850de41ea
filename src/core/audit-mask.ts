// Masking before storage: prompt text and secret-like values in an audit event's input, result and labels are
// replaced, and the JSON pointer of each masked value is listed.
import { pointerToken } from "./digest.js";
import { putOwn } from "./own.js";
import { redact, scanSecrets } from "./secrets.js";
import type { AuditEvent } from "./audit-record.js";

export const MASK_PROMPT = "[MASKED:prompt]";
export const MASK_SECRET = "[MASKED:secret]";

// A string under a key naming a prompt (prompt, prompts, system_prompt, promptText, userPrompt; not
// prompter) is prompt text; so is `text` or `content` inside such an object.
const PROMPT_WORD = /(?:^|[_\-.])prompts?(?:$|[_\-.])/i;
const PROMPT_CAMEL = /[a-z]Prompts?(?:$|[A-Z_])|^prompts?[A-Z]/;
const PROMPT_KEY = { test: (k: string): boolean => PROMPT_WORD.test(k) || PROMPT_CAMEL.test(k) };
const PROMPT_TEXT_CHILD = /^(text|content|body|messages?)$/i;
// Values under these keys are secrets whatever they look like (the scanner cannot see a bare "hunter22").
const SECRET_KEY = /^(?:.*[_-])?(password|passwd|pwd|secret|client_secret|token|access_token|auth_token|api_?key|private_?key|authorization|cookie|credentials?)$/i;

/** What a key says about the values under it; remembered for the keys seen most (an event repeats the same few). */
interface KeyKind {
  readonly prompt: boolean;
  readonly promptText: boolean;
  readonly secret: boolean;
}
const KEY_KINDS = new Map<string, KeyKind>();
const MAX_KEY_KINDS = 1024;
/** Longer keys are judged each time, never kept (an event's keys may be anyone's, of any length). */
const MAX_KEPT_KEY = 128;
function kindOf(key: string): KeyKind {
  let kind = KEY_KINDS.get(key);
  if (kind === undefined) {
    kind = { prompt: PROMPT_KEY.test(key), promptText: PROMPT_TEXT_CHILD.test(key), secret: SECRET_KEY.test(key) };
    if (key.length > MAX_KEPT_KEY) return kind;
    if (KEY_KINDS.size >= MAX_KEY_KINDS) KEY_KINDS.clear(); // bounded, whatever keys an event brings
    KEY_KINDS.set(key, kind);
  }
  return kind;
}

/**
 * The event with prompt text and secret-like values masked, and the JSON pointers (from the event's root, as
 * OPA's `masked` field) of every masked value. Never changes the chain or identity fields.
 */
export function maskEvent(event: AuditEvent): { value: AuditEvent; masked: string[] } {
  const masked: string[] = [];
  // The path to the value being walked, as keys and indexes: made into a pointer only for a value that is masked.
  const path: Array<string | number> = [];
  const pointer = (): string => {
    let out = "";
    for (const t of path) out += `/${typeof t === "number" ? t : pointerToken(t)}`;
    return out;
  };
  const walk = (v: unknown, key: KeyKind, inPrompt: boolean): unknown => {
    if (typeof v === "string") {
      if (key.prompt || (inPrompt && key.promptText)) {
        masked.push(pointer());
        return MASK_PROMPT;
      }
      if (key.secret) {
        masked.push(pointer());
        return MASK_SECRET;
      }
      if (scanSecrets(v).length > 0) {
        masked.push(pointer());
        return redact(v);
      }
      return v;
    }
    if (Array.isArray(v)) {
      const depth = path.length;
      const out = v.map((x, i) => {
        path[depth] = i;
        return walk(x, key, inPrompt);
      });
      path.length = depth;
      return out;
    }
    if (typeof v === "object" && v !== null) {
      const out: Record<string, unknown> = {};
      const depth = path.length;
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        path[depth] = k;
        const kind = kindOf(k);
        putOwn(out, k, walk(x, kind, inPrompt || kind.prompt)); // a key "__proto__" stays a key (own.ts)
      }
      path.length = depth;
      return out;
    }
    return v;
  };
  const root = (name: "input" | "result" | "labels", v: unknown): unknown => {
    path.length = 0;
    path.push(name);
    return walk(v, kindOf(name), false);
  };
  // Identity, chain and hash fields are the app's own values, never free text: only these are masked.
  const value: AuditEvent = {
    ...event,
    input: root("input", event.input),
    result: root("result", event.result),
    labels: root("labels", event.labels) as Record<string, string>,
  };
  return { value, masked: masked.sort() };
}
