// `config validate` for the organisation's revocation list (docs/revocation.md): a FILE named
// agent-gate-revocations.yml is checked as one, and --repo OWNER/REPO checks the owner's list beside the config.
import { basename } from "node:path";
import type { Octokit } from "@octokit/rest";
import type { ConfigSource } from "../adapters/github/config-source.js";
import { parseRevocations, REVOCATIONS_PATH, REVOCATIONS_REPO } from "../config/revocations.js";
import type { Finding, Validation } from "./config.js";

export const isRevocationFile = (path: string): boolean => basename(path) === basename(REVOCATIONS_PATH);

/** The errors of a revocation list's text, by file, line and column. */
export function revocationFindings(text: string, file: string): Finding[] {
  const r = parseRevocations(text, file);
  if (r.ok) return [];
  return r.errors.map((e) => ({ file, ...(e.line !== undefined ? { line: e.line, column: e.col ?? 1 } : {}), path: e.path, message: e.message }));
}

/** A revocation list given as FILE, validated alone. */
export function validateRevocationFile(text: string, file: string): Validation {
  const errors = revocationFindings(text, file);
  return { valid: errors.length === 0, files: [file], errors, warnings: [], unchecked: [] };
}

/** The owner's list on GitHub (its .github repository's default branch), added to a chain's validation. */
export async function withOwnerRevocations(result: Validation, source: ConfigSource, octokit: Pick<Octokit, "request">, owner: string): Promise<Validation> {
  const file = await source.fetchFile(octokit, owner, REVOCATIONS_REPO, REVOCATIONS_PATH);
  if (!file) return result;
  const errors = revocationFindings(file.text, file.source);
  return { ...result, valid: result.valid && errors.length === 0, files: [...result.files, file.source], errors: [...result.errors, ...errors] };
}
