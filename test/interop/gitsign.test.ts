// The pinned gitsign (scripts/install-tools.sh installs it at .tools/bin/gitsign) against agent-gate, both ways, with
// the tests' own Sigstore on 127.0.0.1 and no network:
//
//   our signer (test/support/gitsign-signer.ts) -> `gitsign verify` accepts the commit (and refuses another identity
//     and an edited message); `git verify-commit` with gpg.x509.program=gitsign accepts it too
//   real `gitsign` signing through `git commit -S` (offline Rekor mode), with the trailers of `agent-gate attest
//     --commit-trailers` -> `agent-gate verify-commit` accepts the commit, and refuses it for another identity and
//     with its message edited; online mode -> NO_SIGNED_TIME
//
// How gitsign is pointed at the local Sigstore (read from gitsign v0.17.1's internal/config and internal/gitsign):
// SIGSTORE_ROOT_FILE (the Fulcio CA chain as PEM), SIGSTORE_REKOR_PUBLIC_KEY and SIGSTORE_CT_LOG_PUBLIC_KEY_FILE (read
// by cosign's key loaders, which gitsign's default sigstore-go path uses to build its trusted material),
// GITSIGN_FULCIO_URL and GITSIGN_REKOR_URL, GITSIGN_REKOR_MODE=offline, and the identity token from
// SIGSTORE_ID_TOKEN through GITSIGN_TOKEN_PROVIDER=envvar (cosign's "envvar" provider). gitsign asks Fulcio's
// legacy v1 API (POST /api/v1/signingCert), which the shared services do not serve: a small v1 front for the same
// fake Fulcio is started here. gitsign's legacy verification path (gitsign.enableSigstoreGo=false) reads the trusted
// root from TUF for offline Rekor entries, which cannot be pointed at a local Sigstore, so only the default path runs.
//
// When gitsign is missing the tests skip locally and FAIL under CI=true (as the cosign interop tests do).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createPublicKey } from "node:crypto";
import { verifyCommitCommand } from "../../src/cli/verify-commit.js";
import { attestCommand } from "../../src/cli/attest.js";
import { agentTrailers, commitMessage } from "../../src/core/signed-commits.js";
import { createTestSigstore } from "../support/sigstore/index.js";
import type { TestSigstore } from "../support/sigstore/index.js";
import { startSigstoreServices } from "../support/sigstore/http.js";
import type { SigstoreServices } from "../support/sigstore/http.js";
import { toPem } from "../support/sigstore/rekor-requests.js";
import { gitsignCommit, rawCommit } from "../support/gitsign-signer.js";

const GITSIGN = resolve(".tools/bin/gitsign");
const HAVE = existsSync(GITSIGN);
const skip: string | false = !HAVE && process.env.CI !== "true" ? "gitsign is not installed (bash scripts/install-tools.sh); under CI=true this fails" : false;

const EMAIL = "agent@example.test";
const ISSUER = "https://accounts.google.com";
const b64url = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString("base64url");
// unsigned: the fake Fulcio reads the claims without verifying them, as the real one does after verifying
const ID_TOKEN = `${b64url({ alg: "RS256", typ: "JWT" })}.${b64url({ iss: ISSUER, sub: "1234567890", aud: "sigstore", email: EMAIL, email_verified: true, exp: 4102444800 })}.c2ln`;

let dir = "";
let world: TestSigstore;
let services: SigstoreServices;
let fulcioV1: Server;
let fulcioV1Url = "";
const fulcioV1Requests: string[] = [];

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function sh(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string>; input?: Buffer } = {}): Run {
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? join(dir, "repo"), input: opts.input, encoding: "utf8", timeout: 60_000, env: { ...gitsignEnv(), ...opts.env } });
  if (r.error) throw new Error(`${cmd} could not run: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same, without blocking: for git runs that make gitsign call the Sigstore services this process serves. */
function shAsync(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd: join(dir, "repo"), env: { ...gitsignEnv(), ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let [stdout, stderr] = ["", ""];
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    child.on("error", fail);
    child.on("close", (status) => {
      clearTimeout(timer);
      done({ status, stdout, stderr });
    });
  });
}

/** A fresh HOME and TUF cache (no public-good trust material is found or fetched), and the local Sigstore. */
function gitsignEnv(): Record<string, string> {
  return {
    PATH: `${resolve(".tools/bin")}:${process.env.PATH ?? ""}`,
    HOME: join(dir, "home"),
    TUF_ROOT: join(dir, "home", "tuf"),
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: join(dir, "home", "gitconfig"),
    SIGSTORE_ROOT_FILE: join(dir, "fulcio-chain.pem"),
    SIGSTORE_REKOR_PUBLIC_KEY: join(dir, "rekor.pub"),
    SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: join(dir, "ctlog.pub"),
    GITSIGN_FULCIO_URL: fulcioV1Url,
    GITSIGN_REKOR_URL: services.rekorUrl,
    GITSIGN_TOKEN_PROVIDER: "envvar",
    SIGSTORE_ID_TOKEN: ID_TOKEN,
    GITSIGN_REKOR_MODE: "offline",
    GITSIGN_LOG: join(dir, "gitsign.log"),
  };
}

const SIGNING = ["-c", "user.name=Agent", "-c", `user.email=${EMAIL}`, "-c", "gpg.format=x509", "-c", `gpg.x509.program=${GITSIGN}`];
const git = (...args: string[]): Run => sh("git", [...SIGNING, ...args]);
const gitsignVerify = (rev: string, identity = EMAIL): Run => sh(GITSIGN, ["verify", `--certificate-identity=${identity}`, `--certificate-oidc-issuer=${ISSUER}`, rev]);

/** Fulcio's legacy v1 API for gitsign: the bearer token's claims, a DER public key, 201 with the PEM chain (SCT embedded). */
async function startFulcioV1(): Promise<void> {
  fulcioV1 = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      fulcioV1Requests.push(`${req.method ?? ""} ${req.url ?? ""}`);
      void (async () => {
        if (req.method !== "POST" || req.url !== "/api/v1/signingCert") return { status: 404, body: "not found" };
        const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "")?.[1];
        if (!token) return { status: 401, body: "expected the identity token as a bearer token" };
        const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as { iss: string; email?: string };
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { publicKey?: { content?: string } };
        const key = createPublicKey({ key: Buffer.from(body.publicKey?.content ?? "", "base64"), format: "der", type: "spki" });
        if (claims.email === undefined) return { status: 400, body: "expected an e-mail token" };
        const notBefore = new Date(Date.now() - 60_000);
        const chain = await world.fulcio.issue({ publicKeySpki: key.export({ format: "der", type: "spki" }), san: { email: claims.email }, issuer: claims.iss, extensions: {}, notBefore, notAfter: new Date(notBefore.getTime() + 10 * 60_000) });
        return { status: 201, body: chain.map((c) => toPem(c, "CERTIFICATE")).join("") };
      })().then(
        (a) => res.writeHead(a.status, { "content-type": a.status === 201 ? "application/pem-certificate-chain" : "text/plain" }).end(a.body),
        (e: unknown) => res.writeHead(400, { "content-type": "text/plain" }).end(String(e)),
      );
    });
  });
  await new Promise<void>((r) => fulcioV1.listen(0, "127.0.0.1", r));
  fulcioV1Url = `http://127.0.0.1:${(fulcioV1.address() as AddressInfo).port}`;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "agent-gate-gitsign-"));
  mkdirSync(join(dir, "home"), { recursive: true });
  writeFileSync(join(dir, "home", "gitconfig"), "");
  world = await createTestSigstore({ now: new Date(Math.floor(Date.now() / 1000) * 1000 - 5000) });
  services = await startSigstoreServices(world);
  await startFulcioV1();
  writeFileSync(join(dir, "trusted_root.json"), JSON.stringify(world.trustedRoot));
  writeFileSync(join(dir, "rekor.pub"), toPem(world.rekorV1.spki, "PUBLIC KEY"));
  writeFileSync(join(dir, "ctlog.pub"), toPem(world.ctLog.key.spki, "PUBLIC KEY"));
  writeFileSync(join(dir, "fulcio-chain.pem"), toPem(world.fulcio.intermediate.der, "CERTIFICATE") + toPem(world.fulcio.root.der, "CERTIFICATE"));
  sh("git", ["init", "-q", "-b", "main", join(dir, "repo")], { cwd: dir });
});
after(async () => {
  await services?.close();
  fulcioV1?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Stores a raw commit object in the test repository under refs/heads/NAME and returns its id. */
function store(raw: Buffer, name: string): string {
  const w = sh("git", ["hash-object", "-t", "commit", "-w", "--stdin"], { input: raw });
  assert.equal(w.status, 0, w.stderr);
  const sha = w.stdout.trim();
  assert.equal(sh("git", ["update-ref", `refs/heads/${name}`, sha]).status, 0);
  return sha;
}

async function agentGateVerify(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await verifyCommitCommand([...args, "--trusted-root", join(dir, "trusted_root.json"), "--json"], { out: (t) => out.push(t), err: (t) => err.push(t), env: {}, fetch: () => Promise.reject(new Error("no network in tests")) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

test("gitsign verify accepts a commit signed by the tests' signer, and refuses another identity and an edited message", { skip }, async () => {
  const s = await gitsignCommit(world, rawCommit({ when: new Date(), message: "Add the widget\n\nAgent: claude-code\n" }), { san: { email: EMAIL }, issuer: ISSUER, signedAt: new Date() });
  const sha = store(s.signedCommit, "ours");
  assert.equal(sha, s.sha);
  const ok = gitsignVerify(sha);
  assert.equal(ok.status, 0, ok.stderr + ok.stdout);
  assert.match(ok.stdout, /Validated Git signature: true/);
  assert.match(ok.stdout, /Validated Rekor entry: true/);
  assert.match(ok.stdout, /Validated Certificate claims: true/);
  assert.match(ok.stdout, new RegExp(`tlog index: ${s.tlogEntry!.logIndex}`));

  const other = gitsignVerify(sha, "someone@example.test");
  assert.notEqual(other.status, 0);
  assert.match(other.stderr, /someone@example\.test/);

  const edited = store(Buffer.from(s.signedCommit.toString("utf8").replace("Add the widget", "Add the gadget")), "ours-edited");
  const bad = gitsignVerify(edited);
  assert.notEqual(bad.status, 0, bad.stdout);

  // git itself, with gitsign as its x509 program (it checks no identity: gitsign says so)
  const vc = git("verify-commit", sha);
  assert.equal(vc.status, 0, vc.stderr);
  assert.match(vc.stderr, /Good signature from \[agent@example\.test\]/);
});

test("agent-gate verify-commit accepts a commit signed by real gitsign (offline Rekor mode), and refuses it edited or for another identity", { skip }, async () => {
  writeFileSync(join(dir, "repo", "widget.txt"), "a widget\n");
  assert.equal(git("add", "widget.txt").status, 0);
  // the agent trailers as attest writes them, in the message the signature covers
  writeFileSync(join(dir, "prompt.txt"), "Add a widget.\n");
  const lines: string[] = [];
  const t = await attestCommand(["--commit-trailers", "--agent", "claude-code", "--model", "anthropic/claude-sonnet-4-5", "--prompt-file", join(dir, "prompt.txt")], { out: (x) => lines.push(x), err: () => undefined });
  assert.equal(t, 0);
  const c = await shAsync("git", [...SIGNING, "commit", "-q", "-S", "-m", "Add the widget", "-m", lines.join("\n")]);
  assert.equal(c.status, 0, `${c.stderr}\n${c.stdout}`);
  assert.ok(fulcioV1Requests.includes("POST /api/v1/signingCert"), "gitsign asked the local Fulcio");
  assert.ok(services.requests.includes("POST /rekor/api/v1/log/entries"), "gitsign logged the signature in the local Rekor");
  const raw = sh("git", ["cat-file", "commit", "HEAD"]);
  assert.match(raw.stdout, /^gpgsig -----BEGIN SIGNED MESSAGE-----$/m);
  const file = join(dir, "real.commit");
  writeFileSync(file, raw.stdout);

  const r = await agentGateVerify(["--commit-file", file, "--certificate-identity", EMAIL, "--certificate-oidc-issuer", ISSUER]);
  assert.equal(r.code, 0, r.err + r.out);
  const doc = JSON.parse(r.out) as { verified: boolean; sha: string; signer: { identity: string; issuer: string } };
  assert.deepEqual([doc.verified, doc.sha, doc.signer.identity, doc.signer.issuer], [true, sh("git", ["rev-parse", "HEAD"]).stdout.trim(), EMAIL, ISSUER]);
  const facts = agentTrailers(commitMessage(raw.stdout));
  assert.ok(facts.ok && facts.facts.agent?.name === "claude-code" && facts.facts.promptDigest?.startsWith("sha256:"), JSON.stringify(facts));
  // and gitsign agrees on its own commit
  assert.equal(gitsignVerify("HEAD").status, 0);

  const other = await agentGateVerify(["--commit-file", file, "--certificate-identity", "someone@example.test", "--certificate-oidc-issuer", ISSUER]);
  assert.equal(other.code, 1);
  assert.equal((JSON.parse(other.out) as { error: { code: string } }).error.code, "IDENTITY_MISMATCH");

  writeFileSync(join(dir, "edited.commit"), raw.stdout.replace("Add the widget", "Add the gadget"));
  const edited = await agentGateVerify(["--commit-file", join(dir, "edited.commit"), "--certificate-identity", EMAIL, "--certificate-oidc-issuer", ISSUER]);
  assert.equal(edited.code, 1);
  assert.equal((JSON.parse(edited.out) as { error: { code: string } }).error.code, "CONTENT_MISMATCH");
});

test("a commit real gitsign signs in online mode (its default) carries no Rekor entry: NO_SIGNED_TIME offline", { skip }, async () => {
  const c = await shAsync("git", [...SIGNING, "commit", "-q", "--allow-empty", "-S", "-m", "Online mode"], { GITSIGN_REKOR_MODE: "online" });
  assert.equal(c.status, 0, c.stderr);
  const file = join(dir, "online.commit");
  writeFileSync(file, sh("git", ["cat-file", "commit", "HEAD"]).stdout);
  const r = await agentGateVerify(["--commit-file", file, "--certificate-identity", EMAIL, "--certificate-oidc-issuer", ISSUER]);
  assert.equal(r.code, 1, r.out);
  assert.equal((JSON.parse(r.out) as { error: { code: string } }).error.code, "NO_SIGNED_TIME");
});
