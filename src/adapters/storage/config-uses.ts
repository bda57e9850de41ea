// Which repositories' recorded decisions read which config file (audit_config_uses, migration 7: derived from the chained
// records, only ever added to), paged completely: a config sweep (app/config-sweep.ts) re-judges every repository whose
// chain a pushed file is part of, however many there are, a page per step.
import type { Db } from "./db.js";

/** One (file, repository) row; rows are ordered by file, then repository. */
export interface ConfigUse {
  readonly file: string;
  readonly repository: string;
}

/** What a sweep asks: uses of these files (owner/repo:path keys, configFileKey), or of any file of one repository. */
export type ConfigUsesQuery = { readonly files: readonly string[] } | { readonly inRepository: string };

export interface ConfigUsesStore {
  /** Up to `limit` uses after `after` (exclusive), in (file, repository) order. */
  page(query: ConfigUsesQuery, after: ConfigUse | undefined, limit: number): Promise<ConfigUse[]>;
}

export class SqlConfigUses implements ConfigUsesStore {
  constructor(private readonly db: Db) {}

  async page(query: ConfigUsesQuery, after: ConfigUse | undefined, limit: number): Promise<ConfigUse[]> {
    // Files are keyed owner/repo:path with owner and repository in lower case: a repository's files share that prefix.
    const files = "files" in query ? [...query.files] : null;
    const prefix = "inRepository" in query ? `${likeEscape(query.inRepository.toLowerCase())}:%` : null;
    if (files !== null && files.length === 0) return [];
    const rows = await this.db.query<{ config_file: string; repository: string }>(
      `SELECT config_file, repository FROM audit_config_uses
       WHERE ($1::text[] IS NULL OR config_file = ANY($1::text[])) AND ($2::text IS NULL OR config_file LIKE $2::text)
         AND ($3::text IS NULL OR (config_file, repository) > ($3::text, $4::text))
       ORDER BY config_file, repository LIMIT $5`,
      [files, prefix, after?.file ?? null, after?.repository ?? null, Math.max(1, Math.floor(limit))],
    );
    return rows.map((r) => ({ file: r.config_file, repository: r.repository }));
  }
}

/** A repository name as a LIKE prefix: `_` (allowed in names) matches itself only. */
function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}
