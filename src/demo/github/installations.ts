// The App's installations on the stand-in, one per repository owner, and what each covers. As on GitHub, an
// installation covers all its owner's repositories ("all") or a selection; a private repository outside the
// selection is hidden from the App: REST answers 404 and GraphQL NOT_FOUND for it, exactly as for one that does not
// exist (what src/adapters/github/org-repo-scope.ts must tell apart).
import type { StandInInstallation, StandInRepo } from "./model.js";

/** Repository selections set by owner (any case); an owner not set: "selected" when a repository of it is outside, else "all". */
export type Selections = Record<string, "all" | "selected">;

export function selectionOf(repos: readonly StandInRepo[], selections: Selections, owner: string): "all" | "selected" {
  const key = owner.toLowerCase();
  const set = Object.entries(selections).find(([o]) => o.toLowerCase() === key)?.[1];
  return set ?? (repos.some((r) => r.owner.toLowerCase() === key && r.installed === false) ? "selected" : "all");
}

/** Whether the installation on the repository's owner covers it. */
export function isInstalled(repos: readonly StandInRepo[], selections: Selections, repo: StandInRepo): boolean {
  return selectionOf(repos, selections, repo.owner) === "all" || repo.installed !== false;
}

/** Whether the App cannot see the repository at all: private, and outside its installation. */
export function isHidden(repos: readonly StandInRepo[], selections: Selections, repo: StandInRepo): boolean {
  return repo.private === true && !isInstalled(repos, selections, repo);
}

/** One installation per owner, in the order owners first appear in `repos`; `token(id, index)` names its token. */
export function installationsOf(repos: readonly StandInRepo[], selections: Selections, firstId: number, token: (id: number, index: number) => string): StandInInstallation[] {
  const byOwner = new Map<string, StandInInstallation>();
  for (const repo of repos) {
    const key = repo.owner.toLowerCase();
    let inst = byOwner.get(key);
    if (!inst) {
      const id = firstId + byOwner.size;
      inst = { id, account: { login: repo.owner, id: repo.id + 1, type: "Organization" }, token: token(id, byOwner.size), repositorySelection: selectionOf(repos, selections, repo.owner), repositories: [] };
      byOwner.set(key, inst);
    }
    if (isInstalled(repos, selections, repo)) inst.repositories.push(repo);
  }
  return [...byOwner.values()];
}
