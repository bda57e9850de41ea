// The YAML of a config file as a plain value, with the line of every path in it, or its errors with file and line.
// Everything a file's author controls ends here as a config error: YAML syntax, tags other than YAML's plain ones
// (`!!python/object`, `!!binary`), undefined aliases, alias bombs, nesting deeper than any config needs, keys longer
// than any config needs, and strings that are not well-formed Unicode (a lone surrogate cannot be handed to the policy
// as JSON). The work is linear in the text: one walk builds the line index, which stores each key's text once (a node
// is found by its parent's id and its key, never by its whole path joined), and a file with thousands of errors
// builds the paths of the first MAX_CONFIG_ERRORS only.
import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node } from "yaml";

export const CONFIG_PATH = ".github/agent-gate.yml";

/** Errors reported for one file at most; the rest are counted in a last line. */
export const MAX_CONFIG_ERRORS = 50;
/** Nesting levels of maps and lists at most (the schema's deepest path has 6). */
export const MAX_CONFIG_DEPTH = 32;
/**
 * Characters in a map key at most: the longest key a config needs is an environment name (GitHub allows 255) or an
 * owner/name (39 + 1 + 100); an explicit `? ` key is not held to YAML's 1,024 of an implicit one.
 */
export const MAX_CONFIG_KEY_LENGTH = 256;
/** Alias expansions at most (yaml's maxAliasCount). */
export const MAX_CONFIG_ALIASES = 100;

export interface ConfigError {
  readonly path: string; // dotted, "" for the document itself
  readonly message: string;
  readonly line?: number;
  readonly col?: number;
}

export type Locate = (path: readonly (string | number)[]) => { line: number; col: number } | undefined;

export type ConfigDocument =
  | { readonly ok: true; readonly value: unknown; readonly locate: Locate }
  | { readonly ok: false; readonly errors: readonly ConfigError[]; readonly messages: readonly string[] };

// The tags of YAML's core schema: anything else is a type the config has no use for.
const PLAIN_TAGS = new Set(["str", "int", "float", "bool", "null", "map", "seq"].map((t) => `tag:yaml.org,2002:${t}`));

function formatError(file: string, e: ConfigError): string {
  const at = e.line === undefined ? "" : ` (line ${e.line}, column ${e.col ?? 1})`;
  return `${file}: ${e.path || "(document)"}: ${e.message}${at}`;
}

/** What a schema (zod) says of one problem: its place, kind and message, and the value it refused. */
export interface SchemaIssue {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly keys?: readonly string[];
  readonly input?: unknown;
}

/**
 * A schema's refusal as located errors: every issue counted, at most MAX_CONFIG_ERRORS built (40,000 unknown keys cost
 * one pass, not 40,000 messages); an unknown key is named, any other issue shows the value it refused.
 */
export function schemaErrors(issues: readonly SchemaIssue[], locate: Locate, file: string, show: (v: unknown) => string): { errors: readonly ConfigError[]; messages: readonly string[] } {
  const errors: ConfigError[] = [];
  let total = 0;
  const add = (path: (string | number)[], message: string): void => {
    total++;
    if (errors.length < MAX_CONFIG_ERRORS) errors.push({ path: path.join("."), message, ...locate(path) });
  };
  for (const issue of issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
    if (issue.code === "unrecognized_keys") for (const key of issue.keys ?? []) add([...path, key], "unknown key");
    else add(path, `${issue.message}, got ${show(issue.input)}`);
  }
  return configErrors(file, errors, total);
}

/** At most MAX_CONFIG_ERRORS errors and their messages, and a line saying how many more there were. */
export function configErrors(file: string, errors: readonly ConfigError[], total = errors.length): { errors: readonly ConfigError[]; messages: readonly string[] } {
  const shown = errors.slice(0, MAX_CONFIG_ERRORS);
  const messages = shown.map((e) => formatError(file, e));
  if (total > shown.length) messages.push(`${file}: ${total - shown.length} more errors not shown`);
  return { errors: shown, messages };
}

export function readConfigDocument(text: string, file = CONFIG_PATH): ConfigDocument {
  const lineCounter = new LineCounter();
  const fail = (errors: ConfigError[]): ConfigDocument => ({ ok: false, ...configErrors(file, errors) });
  let doc: Document.Parsed;
  try {
    // Duplicate keys are found by the walk below: yaml's own check compares each key with every other (quadratic).
    doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: false });
  } catch (err) {
    return fail([{ path: "", message: `invalid YAML: ${err instanceof Error ? err.message : String(err)}` }]);
  }
  if (doc.errors.length > 0) {
    // A text nested past the parser's stack fails at every level on the way out: one error says it.
    const deep = doc.errors.filter((err) => /Maximum call stack/.test(err.message));
    const reported = deep.length > 0 ? deep.sort((a, b) => a.pos[0] - b.pos[0]).slice(0, 1) : doc.errors;
    return fail(
      reported.map((err) => {
        const pos = err.linePos?.[0];
        const first = /Maximum call stack/.test(err.message)
          ? `nested too deeply to read; expected at most ${MAX_CONFIG_DEPTH} levels`
          : (err.message.split("\n")[0] ?? err.code).replace(/ at line \d+, column \d+:?$/, "");
        const e: ConfigError = { path: "", message: `invalid YAML: ${first}` };
        return pos ? { ...e, line: pos.line, col: pos.col } : e;
      }),
    );
  }
  const at = (node: { range?: [number, number, number] | null } | null | undefined) => (node?.range ? lineCounter.linePos(node.range[0]) : undefined);
  // One walk over the syntax tree (iterative: nesting is checked here, not by the stack): the position of every
  // node, and the first of each kind of problem the value would hide. A node is an id; its path is never joined into
  // a text: a child is found by its parent's id and its own key or index, so each key's text is stored once (keying
  // by the whole path stored a 32,000-character key again for each of 16,500 items under it: 528 M characters).
  const parent: number[] = [-1];
  const segment: (string | number)[] = [""];
  const place: ({ line: number; col: number } | undefined)[] = [at(doc.contents)];
  const children = new Map<string, number>(); // `${parent id}\0${key or index}` -> the id of the first such child
  const child = (of: number, seg: string | number, pos: { line: number; col: number } | undefined): number => {
    const id = place.length;
    parent.push(of);
    segment.push(seg);
    place.push(pos);
    const key = `${of}\u0000${seg}`;
    if (!children.has(key)) children.set(key, id);
    return id;
  };
  const pathOf = (id: number): (string | number)[] => {
    const path: (string | number)[] = [];
    for (let i = id; i > 0; i = parent[i]!) path.push(segment[i]!);
    return path.reverse();
  };
  // A problem keeps its node's id: the path's text is built only for the MAX_CONFIG_ERRORS shown.
  const problems: { id: number; line?: number; col?: number; message: string }[] = [];
  const anchors = new Set<string>();
  const stack: { node: Node | null; id: number; depth: number }[] = [{ node: doc.contents, id: 0, depth: 0 }];
  while (stack.length > 0) {
    const { node, id, depth } = stack.pop()!;
    if (!node) continue;
    const where = { id, ...place[id] };
    if (depth > MAX_CONFIG_DEPTH) {
      problems.push({ ...where, message: `nested deeper than ${MAX_CONFIG_DEPTH} levels; expected the shape of .github/agent-gate.yml` });
      continue;
    }
    if (isAlias(node)) continue; // resolved (and counted) by toJS below
    if (node.anchor) anchors.add(node.anchor);
    if (node.tag !== undefined && !PLAIN_TAGS.has(node.tag)) {
      problems.push({ ...where, message: `unsupported YAML tag ${node.tag.replace(/^tag:yaml\.org,2002:/, "!!")}; expected plain strings, numbers, booleans, lists and maps` });
      continue;
    }
    if (isScalar(node)) {
      if (typeof node.value === "string" && hasLoneSurrogate(node.value)) problems.push({ ...where, message: "a string holds a lone surrogate (\\ud800-\\udfff); expected well-formed Unicode text" });
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => stack.push({ node: item as Node | null, id: child(id, i, at(item as Node | null)), depth: depth + 1 }));
    } else if (isMap(node)) {
      const keys = new Set<string>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = pair.key as Node | null;
        if (key !== null && !isScalar(key)) {
          problems.push({ ...where, ...at(key), message: "a key is a list or a map; expected a plain key" });
          continue;
        }
        if (typeof key?.value === "string" && hasLoneSurrogate(key.value)) problems.push({ ...where, ...at(key), message: "a key holds a lone surrogate (\\ud800-\\udfff); expected well-formed Unicode text" });
        const v: unknown = key?.value;
        const name = typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" || typeof v === "bigint" ? String(v) : "";
        const length = name.length > MAX_CONFIG_KEY_LENGTH ? codePoints(name) : name.length;
        if (length > MAX_CONFIG_KEY_LENGTH) {
          // Its value is not read: nothing under a key no config has is worth a walk.
          problems.push({ ...where, ...at(key), message: `a key of ${length} characters; expected at most ${MAX_CONFIG_KEY_LENGTH} (a setting, an environment name or an owner/name)` });
          continue;
        }
        if (keys.has(name)) problems.push({ id: 0, ...at(key), message: "invalid YAML: Map keys must be unique" });
        keys.add(name);
        const value = pair.value as Node | null;
        stack.push({ node: value, id: child(id, name, value ? at(value) : at(key)), depth: depth + 1 });
      }
    }
  }
  if (problems.length > 0) {
    const first = problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0)).slice(0, MAX_CONFIG_ERRORS);
    const errors = first.map(({ id, ...e }): ConfigError => ({ ...e, path: pathOf(id).join(".") }));
    return { ok: false, ...configErrors(file, errors, problems.length) };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_CONFIG_ALIASES });
  } catch (err) {
    // Undefined aliases and alias bombs (yaml throws a ReferenceError for both); the alias named or the first one.
    const message = err instanceof Error ? err.message : String(err);
    const name = /alias[^:]*: (.+)$/.exec(message)?.[1];
    let first: { range?: [number, number, number] | null } | undefined;
    let count = 0;
    findAliases(doc.contents, (alias) => {
      count++;
      if ((name === undefined || alias.source === name) && (alias.range?.[0] ?? Infinity) < (first?.range?.[0] ?? Infinity)) first = alias;
    });
    const pos = at(first);
    const what = /Excessive alias count/.test(message)
      ? `aliases expand to more than ${MAX_CONFIG_ALIASES} copies (${count} aliases); expected a config without an alias bomb`
      : name !== undefined && !anchors.has(name)
        ? `the alias *${name} names no anchor; expected an anchor &${name} before it`
        : message;
    return fail([{ path: "", message: `invalid YAML: ${what}`, ...pos }]);
  }
  // The position of the deepest node on the path that has one (a key the file lacks is placed at its parent).
  const locate: Locate = (path) => {
    let id = 0;
    let pos = place[0];
    for (const seg of path) {
      const next = children.get(`${id}\u0000${seg}`);
      if (next === undefined) break;
      id = next;
      pos = place[id] ?? pos;
    }
    return pos;
  };
  return { ok: true, value, locate };
}

function findAliases(root: Node | null, found: (alias: { source: string; range?: [number, number, number] | null }) => void): void {
  const stack: (Node | null)[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (!node) continue;
    if (isAlias(node)) found(node);
    else if (isSeq(node)) for (const item of node.items) stack.push(item as Node | null);
    else if (isMap(node)) for (const pair of node.items) if (isPair(pair)) stack.push(pair.key as Node | null, pair.value as Node | null);
  }
}

/** The code points in a string (an environment name of 255 emoji is 510 UTF-16 units, and 255 characters). */
function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++, n++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
  }
  return n;
}

/** True when a string holds a UTF-16 surrogate without its pair (String.prototype.isWellFormed, ES2024). */
export function hasLoneSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c > 0xdbff) return true;
    const next = s.charCodeAt(i + 1);
    if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
    i++;
  }
  return false;
}
