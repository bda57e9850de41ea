// Running the pinned cosign (scripts/install-tools.sh installs it at .tools/bin/cosign) from the interop tests: a
// fresh HOME and TUF cache per test directory, so cosign finds no public-good trust material and fetches none.
// When cosign is missing the tests skip locally and FAIL under CI=true.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

export const COSIGN = resolve(".tools/bin/cosign");
export const HAVE_COSIGN = existsSync(COSIGN);
export const skipWithoutCosign: string | false =
  !HAVE_COSIGN && process.env.CI !== "true" ? "cosign is not installed (bash scripts/install-tools.sh); under CI=true this fails" : false;

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface CosignCli {
  /** Any command, synchronously, in `dir` with cosign's environment (for git, openssl, and cosign without services). */
  sh(cmd: string, args: string[], env?: Record<string, string>): Run;
  /** cosign, synchronously: only when it talks to no server of this process (spawnSync blocks the event loop). */
  sync(args: string[], env?: Record<string, string>): Run;
  /** cosign while this process keeps serving the Sigstore services it calls. */
  run(args: string[], env?: Record<string, string>): Promise<Run>;
}

export function cosignCli(dir: string): CosignCli {
  const baseEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH ?? "", HOME: join(dir, "home"), TUF_ROOT: join(dir, "home", "tuf"), COSIGN_PASSWORD: "", GIT_CONFIG_NOSYSTEM: "1" });
  const sh = (cmd: string, args: string[], env: Record<string, string> = {}): Run => {
    const r = spawnSync(cmd, args, { cwd: dir, encoding: "utf8", timeout: 60_000, env: { ...baseEnv(), ...env } });
    if (r.error) throw new Error(`${cmd} could not run: ${r.error.message}`);
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const need = (): void => assert.ok(HAVE_COSIGN, `cosign is missing at ${COSIGN}: run bash scripts/install-tools.sh`);
  return {
    sh,
    sync(args, env) {
      need();
      return sh(COSIGN, args, env);
    },
    run(args, env = {}) {
      need();
      return new Promise((done, fail) => {
        const child = spawn(COSIGN, args, { cwd: dir, env: { ...baseEnv(), ...env }, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
        child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
        child.on("error", fail);
        child.on("close", (status) => done({ status, stdout, stderr }));
      });
    },
  };
}
