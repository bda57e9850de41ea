// Validates GitHub REST requests and responses against GitHub's own REST description (@octokit/openapi),
// so a mock that answers with a thin or wrong body, or code that sends a wrong request, fails the test.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";

type Json = Record<string, unknown>;
interface Operation {
  parameters?: Json[];
  requestBody?: Json;
  responses?: Record<string, Json>;
}
interface Route {
  method: string;
  template: string;
  regex: RegExp;
  literalSegments: number;
  pointer: string; // JSON pointer to the operation inside the description
  operation: Operation;
}

const require = createRequire(import.meta.url);
const escapePointer = (s: string): string => s.replace(/~/g, "~0").replace(/\//g, "~1");

/** OpenAPI 3.0's `nullable` without a `type` (on $ref/allOf/anyOf) is not JSON Schema: rewrite it as anyOf with null. */
function openApiNullableToJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(openApiNullableToJsonSchema);
  if (node === null || typeof node !== "object") return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) out[k] = openApiNullableToJsonSchema(v);
  if (out.nullable === true && Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...(out.enum as unknown[]), null];
  if (out.nullable === true && out.type === undefined) {
    delete out.nullable;
    return { anyOf: [out, { type: "null" }] };
  }
  return out;
}

export class RestDescription {
  private static instance: RestDescription | undefined;
  private readonly routes: Route[] = [];
  private readonly ajv: Ajv;
  private readonly doc: Json;
  private readonly compiled = new Map<string, ValidateFunction>();

  static load(): RestDescription {
    RestDescription.instance ??= new RestDescription();
    return RestDescription.instance;
  }

  private constructor() {
    const file = require.resolve("@octokit/openapi/generated/api.github.com.json");
    this.doc = openApiNullableToJsonSchema(JSON.parse(readFileSync(file, "utf8"))) as Json;
    this.ajv = new Ajv({ strict: false, allErrors: false, validateFormats: false, verbose: false });
    this.ajv.addSchema(this.doc, "gh");
    const paths = this.doc.paths as Record<string, Record<string, Operation>>;
    for (const [template, ops] of Object.entries(paths)) {
      for (const [method, operation] of Object.entries(ops)) {
        if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
        const segments = template.split("/");
        const multi = new Set(
          (operation.parameters ?? [])
            .filter((p) => p["x-multi-segment"] === true)
            .map((p) => p.name as string),
        );
        const pattern = segments
          .map((seg) => seg.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{([^}]+)\}/g, (_, n: string) => (multi.has(n) ? "(.+)" : "([^/]+)")))
          .join("/");
        this.routes.push({
          method: method.toUpperCase(),
          template,
          regex: new RegExp(`^${pattern}$`),
          literalSegments: segments.filter((s) => !s.includes("{")).length,
          pointer: `/paths/${escapePointer(template)}/${method}`,
          operation,
        });
      }
    }
    // Prefer the most specific template when several match (literal segments beat parameters).
    this.routes.sort((a, b) => b.literalSegments - a.literalSegments);
  }

  route(method: string, pathname: string): Route | undefined {
    return this.routes.find((r) => r.method === method.toUpperCase() && r.regex.test(pathname));
  }

  private validator(pointer: string): ValidateFunction {
    let v = this.compiled.get(pointer);
    if (!v) {
      v = this.ajv.compile({ $ref: `gh#${pointer.replace(/\{/g, "%7B").replace(/\}/g, "%7D")}` });
      this.compiled.set(pointer, v);
    }
    return v;
  }

  private resolve(obj: Json, pointer: string): { obj: Json; pointer: string } {
    const ref = obj.$ref;
    if (typeof ref !== "string") return { obj, pointer };
    const parts = ref.slice(2).split("/").map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
    let cur: unknown = this.doc;
    for (const p of parts) cur = (cur as Json)[p];
    return { obj: cur as Json, pointer: ref.slice(1) };
  }

  private errors(v: ValidateFunction, value: unknown): string[] {
    return v(value) ? [] : (v.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || "(root)"} ${e.message ?? "invalid"}`);
  }

  /** Problems with a request, or [] when GitHub's description accepts it. */
  validateRequest(method: string, url: string, body: unknown): string[] {
    const { pathname, searchParams } = new URL(url, "https://api.github.com");
    const route = this.route(method, pathname);
    if (!route) return [`${method} ${pathname} is not an endpoint of GitHub's REST API`];
    const problems: string[] = [];
    const params = (route.operation.parameters ?? []).map((p) => this.resolve(p, "").obj);
    const known = new Set(params.filter((p) => p.in === "query").map((p) => p.name as string));
    for (const name of searchParams.keys()) {
      if (!known.has(name)) problems.push(`query parameter "${name}" is not defined for ${method} ${route.template}`);
    }
    for (const p of params) {
      if (p.in === "query" && p.required === true && !searchParams.has(p.name as string)) problems.push(`query parameter "${String(p.name)}" is required`);
    }
    const rb = route.operation.requestBody;
    if (rb) {
      const { obj, pointer } = this.resolve(rb, `${route.pointer}/requestBody`);
      const content = (obj.content as Json | undefined)?.["application/json"] as Json | undefined;
      if (content && (obj.required === true || body !== undefined)) {
        const base = rb.$ref ? pointer : `${route.pointer}/requestBody`;
        problems.push(...this.errors(this.validator(`${base}/content/application~1json/schema`), body).map((e) => `request body ${e}`));
      }
    } else if (body !== undefined && method !== "GET") {
      problems.push(`${method} ${route.template} takes no request body`);
    }
    return problems.map((p) => `${method} ${pathname}: ${p}`);
  }

  /** Problems with a response, or [] when it matches the description for that status. */
  validateResponse(method: string, url: string, status: number, body: unknown): string[] {
    const { pathname } = new URL(url, "https://api.github.com");
    const route = this.route(method, pathname);
    if (!route) return [`${method} ${pathname} is not an endpoint of GitHub's REST API`];
    const declared = route.operation.responses?.[String(status)];
    if (!declared) {
      // Errors every endpoint may answer (rate limits, server faults) are described globally by GitHub.
      if ([403, 429, 500, 502, 503, 504].includes(status)) return [];
      return [`${method} ${route.template}: status ${status} is not a documented response`];
    }
    const { obj, pointer } = this.resolve(declared, "");
    const content = (obj.content as Json | undefined)?.["application/json"] as Json | undefined;
    if (!content?.schema) return [];
    const base = declared.$ref ? pointer : `${route.pointer}/responses/${status}`;
    return this.errors(this.validator(`${base}/content/application~1json/schema`), body).map((e) => `${method} ${pathname} → ${status}: response ${e}`);
  }
}
