// Reads .github/agent-gate.yml from the repository's DEFAULT branch (never from the pull request), falling back
// to the organisation's `.github` repository. Conditional requests (ETag) make repeated reads free of rate limit; what
// the pull request's GraphQL query already told of a file this event (`known`: graphql-config.ts) needs no request.
import { sha256Hex } from "../../core/digest.js";
import type { Octokit } from "@octokit/rest";
import { z } from "zod";
import { AgentGateError } from "../../core/errors.js";
import { LruCache } from "../lru.js";
import type { ConfigFiles } from "./facts-port.js";
import type { DefaultBranchFiles } from "./graphql-config.js";

export const CONFIG_PATH = ".github/agent-gate.yml";
export const CONFIG_MAX_BYTES = 64 * 1024;

export interface ConfigText {
  readonly text: string;
  readonly source: string; // e.g. "acme/web:.github/agent-gate.yml (default branch)"
  /** The repository (of the owner asked about) and path it was read from: the organisation's `.github` on fallback. */
  readonly repo: string;
  readonly path: string;
  readonly digest: string; // sha256:<hex> of the text
}

/** A file's key in the caches: `owner/repo:path` in lower case (GitHub's names are case-insensitive). */
export const fileKey = (owner: string, repo: string, path: string): string => `${owner}/${repo}:${path}`.toLowerCase();

const ContentFile = z.object({ type: z.literal("file"), encoding: z.string(), content: z.string(), size: z.number() });

interface Cached {
  etag: string;
  value: ConfigText | null;
}

type RequestOnly = Pick<Octokit, "request">;

/** A file not there: "file" in a repository that was read; "unseen" when GitHub did not say which (see ConfigSource.read). */
export interface Missing {
  readonly missing: "file" | "unseen";
}
const NO_FILE: Missing = { missing: "file" };
const UNSEEN: Missing = { missing: "unseen" };
export const isMissing = (file: ConfigText | Missing): file is Missing => "missing" in file;

function tooLarge(where: string, bytes: number): AgentGateError {
  return new AgentGateError("CONFIG_TOO_LARGE", `${where} is ${bytes} bytes; expected at most ${CONFIG_MAX_BYTES} (64 KiB)`);
}

/** Configs remembered for conditional requests: entries, and bytes of config text in all. */
export const CONFIG_CACHE_ENTRIES = 10_000;
export const CONFIG_CACHE_BYTES = 16 * 1024 * 1024;

export class ConfigSource {
  // Bounded: an App installed on many organisations sees an endless stream of repositories.
  private readonly cache: LruCache<string, Cached>;

  constructor(bounds: { readonly entries?: number; readonly bytes?: number } = {}) {
    this.cache = new LruCache(bounds.entries ?? CONFIG_CACHE_ENTRIES, bounds.bytes ?? CONFIG_CACHE_BYTES);
  }

  async load(octokit: RequestOnly, owner: string, repo: string, known?: DefaultBranchFiles): Promise<ConfigText | null> {
    const own = await this.fetchFile(octokit, owner, repo, CONFIG_PATH, known);
    if (own) return own;
    if (repo === ".github") return null;
    return this.fetchFile(octokit, owner, ".github", CONFIG_PATH, known);
  }

  /**
   * One config file on a repository's default branch (a base named by `_extends`); null when there is none. From
   * `known` when it tells the file (read with this event's pull request), else from REST.
   */
  async fetchFile(octokit: RequestOnly, owner: string, repo: string, path: string, known?: DefaultBranchFiles): Promise<ConfigText | null> {
    const file = await this.read(octokit, owner, repo, path, known);
    return isMissing(file) ? null : file;
  }

  /**
   * fetchFile, telling how a missing file was missing: "file" when its repository was read and has no such file,
   * "unseen" when GitHub said not found for the file or its repository (a REST 404 tells them apart no more than it
   * tells a repository that does not exist from a private one the token cannot read).
   */
  async read(octokit: RequestOnly, owner: string, repo: string, path: string, known?: DefaultBranchFiles): Promise<ConfigText | Missing> {
    const told = known?.get(fileKey(owner, repo, path));
    if (told === "unseen") return UNSEEN;
    if (told !== undefined) return told ? configText(owner, repo, path, told.text) : NO_FILE;
    return (await this.fetch(octokit, owner, repo, path)) ?? UNSEEN;
  }

  /**
   * One file at a commit (a pull request's head: the config it proposes, read for information, never judged by);
   * null when the commit has no such file. Not cached: each commit is asked about once.
   */
  async fetchAt(octokit: RequestOnly, owner: string, repo: string, path: string, sha: string): Promise<ConfigText | null> {
    if (!/^[0-9a-f]{40}$/.test(sha)) throw new AgentGateError("CONFIG_UNREADABLE", `expected a commit sha of 40 hex digits to read ${owner}/${repo}:${path} at, got ${JSON.stringify(sha)}`);
    return this.fetch(octokit, owner, repo, path, sha);
  }

  private async fetch(octokit: RequestOnly, owner: string, repo: string, path = CONFIG_PATH, ref?: string): Promise<ConfigText | null> {
    const key = fileKey(owner, repo, path);
    const cached = ref === undefined ? this.cache.get(key) : undefined;
    try {
      const res = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
        owner,
        repo,
        path,
        ...(ref !== undefined ? { ref } : {}),
        headers: cached ? { "if-none-match": cached.etag } : {},
      });
      const file = ContentFile.safeParse(res.data);
      if (!file.success) {
        throw new AgentGateError("CONFIG_UNREADABLE", `${owner}/${repo}:${path} is not a file; expected a YAML file on the default branch`);
      }
      const where = `${owner}/${repo}:${path}`;
      if (file.data.size > CONFIG_MAX_BYTES) throw tooLarge(where, file.data.size);
      if (file.data.encoding !== "base64") {
        throw new AgentGateError("CONFIG_UNREADABLE", `${where} came with encoding ${JSON.stringify(file.data.encoding)}; expected base64 content`);
      }
      // `size` is the server's word: the content itself is measured too, before and after decoding.
      const b64 = file.data.content.replace(/\s+/g, "");
      if (b64.length > Math.ceil(CONFIG_MAX_BYTES / 3) * 4) throw tooLarge(where, Math.floor((b64.length * 3) / 4) - (b64.endsWith("==") ? 2 : b64.endsWith("=") ? 1 : 0));
      const bytes = Buffer.from(b64, "base64");
      if (bytes.byteLength > CONFIG_MAX_BYTES) throw tooLarge(where, bytes.byteLength);
      const text = bytes.toString("utf8");
      const value = configText(owner, repo, path, text, ref);
      const etag = res.headers.etag;
      if (etag && ref === undefined) this.cache.set(key, { etag, value }, text.length + etag.length + key.length);
      return value;
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status === 304 && cached) return cached.value;
      if (status === 404) return null;
      throw err;
    }
  }
}

/** A file's text as the gates take it, from REST or GraphQL alike: the same text is the same source and digest. */
function configText(owner: string, repo: string, path: string, text: string, ref?: string): ConfigText {
  return {
    text,
    source: ref === undefined ? `${owner}/${repo}:${path} (default branch)` : `${owner}/${repo}:${path} (at ${ref.slice(0, 7)})`,
    repo,
    path,
    digest: `sha256:${sha256Hex(text)}`,
  };
}

/** A config source read through one client, as the port's ConfigFiles (what loadRepoConfig reads from). */
export function configFiles(source: ConfigSource, octokit: RequestOnly): ConfigFiles {
  return { repoConfig: (owner, repo) => source.load(octokit, owner, repo), configFile: (owner, repo, path) => source.fetchFile(octokit, owner, repo, path) };
}
