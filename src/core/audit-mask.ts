// Masking before storage: prompt text and secret-like values in an audit event's input, result and labels are
// replaced, and the JSON pointer of each masked value is listed.
import { pointerToken } from "./digest.js";
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

/**
 * The event with prompt text and secret-like values masked, and the JSON pointers (from the event's root, as
 * OPA's `masked` field) of every masked value. Never changes the chain or identity fields.
 */
export function maskEvent(event: AuditEvent): { value: AuditEvent; masked: string[] } {
  const masked: string[] = [];
  const walk = (v: unknown, path: string, key: string, inPrompt: boolean): unknown => {
    if (typeof v === "string") {
      if (PROMPT_KEY.test(key) || (inPrompt && PROMPT_TEXT_CHILD.test(key))) {
        masked.push(path);
        return MASK_PROMPT;
      }
      if (SECRET_KEY.test(key)) {
        masked.push(path);
        return MASK_SECRET;
      }
      if (scanSecrets(v).length > 0) {
        masked.push(path);
        return redact(v);
      }
      return v;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}/${i}`, key, inPrompt));
    if (typeof v === "object" && v !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        out[k] = walk(x, `${path}/${pointerToken(k)}`, k, inPrompt || PROMPT_KEY.test(k));
      }
      return out;
    }
    return v;
  };
  // Identity, chain and hash fields are the app's own values, never free text: only these are masked.
  const value: AuditEvent = {
    ...event,
    input: walk(event.input, "/input", "input", false),
    result: walk(event.result, "/result", "result", false),
    labels: walk(event.labels, "/labels", "labels", false) as Record<string, string>,
  };
  return { value, masked: masked.sort() };
}
