// The image test's machinery: the container tools, a base with the image's Node assembled from Debian packages (no
// registry is reachable here; see base.Containerfile), cached in podman's store under a tag keyed by its inputs, and
// the commands of docs/deploy.md read from its fenced blocks.
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const RUNC = "/usr/sbin/runc";
/** What `podman run` needs on this machine: runc (crun cannot set limits here), lowered limits, the host network. */
export const RUN_FLAGS = ["--runtime", RUNC, "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1000:1000", "--network", "host"];
const DEBIAN_IMAGE = "localhost/agent-gate-test-debian:bookworm-minbase";
const MMDEBSTRAP = ["--variant=minbase", "--include=ca-certificates", "bookworm"];

export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, encoding: "utf8", timeout: opts.timeoutMs ?? 300_000, maxBuffer: 64 * 1024 * 1024, input: opts.input });
}

export function show(r: SpawnSyncReturns<string>): string {
  return `exit ${r.status}${r.error ? ` (${r.error.message})` : ""}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`;
}

export function must(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed: ${show(r)}`);
  return r.stdout;
}

/** Why the image cannot be built here, or undefined when podman, mmdebstrap and runc are all present. */
export function missingTools(): string | undefined {
  const missing = ["podman", "mmdebstrap"].filter((t) => run("sh", ["-c", `command -v ${t}`]).status !== 0);
  if (!existsSync(RUNC)) missing.push("runc");
  return missing.length ? `${missing.join(", ")} missing: \`npm run tools\` installs them as root with apt-get` : undefined;
}

/** The Node version the image's official base runs (the Dockerfile pins its digest), e.g. "22.23.1". */
export function imageNodeVersion(): string {
  const file = new URL("../../.ci/image-node-version", import.meta.url).pathname;
  const version = readFileSync(file, "utf8").trim();
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`${file}: expected one Node version such as 22.23.1, found "${version}"`);
  return version;
}

/**
 * The image's Node (imageNodeVersion): this process's own when it is that version, else that release from the
 * package registry (the npm package `node`, through npx, as .ci/run gets its other Node), and this machine's npm.
 */
function imageNode(): { node: string; npm: string } {
  const version = imageNodeVersion();
  let node = process.execPath;
  if (process.version !== `v${version}`) {
    const found = run("npx", ["-y", "-p", `node@${version}`, "node", "-p", "process.execPath"], { cwd: tmpdir(), timeoutMs: 600_000 });
    node = must(found, `getting Node ${version} (npx -y -p node@${version})`).trim().split("\n").at(-1)!;
    const shown = run(node, ["--version"]).stdout.trim();
    if (shown !== `v${version}`) throw new Error(`npx gave ${node}, which is ${shown || "not a node binary"}; expected Node v${version}`);
  }
  const npm = [join(dirname(process.execPath), "../lib/node_modules/npm"), "/usr/lib/node_modules/npm", "/usr/local/lib/node_modules/npm"].find((p) => existsSync(join(p, "package.json")));
  if (!npm) throw new Error(`no npm found beside ${process.execPath}`);
  return { node, npm };
}

const sha256 = (bytes: Buffer | string): string => createHash("sha256").update(bytes).digest("hex");

/**
 * The base image's tag, built when missing: Debian bookworm minbase from this machine's apt sources (mmdebstrap,
 * about a minute, once), then the image's Node (imageNode), this machine's npm and CA bundle on top. The tag is
 * keyed by those inputs, so a new Node or a changed Containerfile builds a new base and an unchanged one costs nothing.
 */
export function ensureBase(log: (msg: string) => void): string {
  const { node, npm } = imageNode();
  const containerfile = new URL("./base.Containerfile", import.meta.url).pathname;
  const ca = process.env["NODE_EXTRA_CA_CERTS"] && existsSync(process.env["NODE_EXTRA_CA_CERTS"]) ? process.env["NODE_EXTRA_CA_CERTS"] : "/etc/ssl/certs/ca-certificates.crt";
  const key = sha256([MMDEBSTRAP.join(" "), readFileSync(containerfile, "utf8"), sha256(readFileSync(node)), readFileSync(join(npm, "package.json"), "utf8"), existsSync(ca) ? sha256(readFileSync(ca)) : ""].join("\n")).slice(0, 16);
  const tag = `localhost/agent-gate-test-base:${key}`;
  if (run("podman", ["image", "exists", tag]).status === 0) return tag;
  const work = mkdtempSync(join(tmpdir(), "agent-gate-base-"));
  try {
    if (run("podman", ["image", "exists", DEBIAN_IMAGE]).status !== 0) {
      log(`assembling ${DEBIAN_IMAGE} with mmdebstrap (once)`);
      must(run("mmdebstrap", [...MMDEBSTRAP, join(work, "base.tar")], { timeoutMs: 600_000 }), "mmdebstrap");
      must(run("podman", ["import", join(work, "base.tar"), DEBIAN_IMAGE]), "podman import");
      rmSync(join(work, "base.tar"));
    }
    log(`building ${tag} (${node}, npm ${(JSON.parse(readFileSync(join(npm, "package.json"), "utf8")) as { version: string }).version})`);
    copyFileSync(node, join(work, "node"));
    cpSync(npm, join(work, "npm"), { recursive: true });
    if (existsSync(ca)) copyFileSync(ca, join(work, "ca.crt"));
    else copyFileSync("/dev/null", join(work, "ca.crt"));
    must(run("podman", ["build", "--isolation", "chroot", "--build-arg", `DEBIAN=${DEBIAN_IMAGE}`, "-f", containerfile, "-t", tag, work]), "building the base");
    return tag;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The fenced code blocks of a Markdown text, each as its lines. */
export function fencedBlocks(markdown: string): string[][] {
  const blocks: string[][] = [];
  let current: string[] | undefined;
  for (const line of markdown.split("\n")) {
    if (/^```/.test(line)) {
      if (current) blocks.push(current);
      current = current ? undefined : [];
    } else current?.push(line);
  }
  return blocks;
}

/** The one command line of `markdown` that starts with `prefix`. */
export function docCommand(markdown: string, prefix: string): string {
  const lines = fencedBlocks(markdown)
    .flat()
    .filter((l) => l.startsWith(prefix));
  if (lines.length !== 1) throw new Error(`expected one command starting with "${prefix}" in docs/deploy.md, found ${lines.length}`);
  return lines[0]!;
}

/** A command line split as sh splits it (quotes only; no expansion: the test substitutes what it needs). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}
