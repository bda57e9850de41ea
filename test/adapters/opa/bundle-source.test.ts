// Replacement bundles are pinned by sha256: unpinned, mismatching, non-https and unreachable bundles are refused.
// The URL path is exercised against a loopback HTTP server through the explicit test-only http override.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import { BUILTIN_BUNDLE_PATH, bundleFromFile, bundleFromTarGz, fetchBundle, loadPolicyBundle, sha256Hex } from "../../../src/adapters/opa/bundle-source.js";
import { AgentGateError } from "../../../src/core/errors.js";

const code = (c: string) => (err: unknown) => err instanceof AgentGateError && err.code === c;
const bytes = readFileSync(BUILTIN_BUNDLE_PATH);
const pin = sha256Hex(bytes);
const wrongPin = "0".repeat(64);

describe("bundle from a file", () => {
  it("reads policy.wasm, data.json and the revision of an opa build -t wasm bundle", () => {
    const b = bundleFromFile(BUILTIN_BUNDLE_PATH, `sha256:${pin}`);
    assert.equal(Buffer.from(b.wasm.subarray(0, 4)).toString("hex"), "0061736d"); // \0asm
    assert.ok((b.data as { config?: unknown }).config);
    assert.match(b.revision, /^builtin-/);
  });
  it("refuses an unpinned bundle", () => {
    assert.throws(() => bundleFromFile(BUILTIN_BUNDLE_PATH, undefined), code("POLICY_BUNDLE_UNPINNED"));
    assert.throws(() => bundleFromFile(BUILTIN_BUNDLE_PATH, "sha256:abc"), code("POLICY_BUNDLE_UNPINNED"));
  });
  it("refuses a bundle whose digest differs from the pin, naming both", () => {
    assert.throws(
      () => bundleFromFile(BUILTIN_BUNDLE_PATH, wrongPin),
      (e: unknown) => code("POLICY_BUNDLE_DIGEST_MISMATCH")(e) && (e as Error).message.includes(pin) && (e as Error).message.includes(wrongPin),
    );
  });
  it("refuses what is not a wasm bundle", () => {
    assert.throws(() => bundleFromTarGz(new Uint8Array([1, 2, 3]), "junk"), code("POLICY_BUNDLE_INVALID"));
    const emptyTar = gzipSync(Buffer.alloc(1024));
    assert.throws(() => bundleFromTarGz(emptyTar, "empty"), (e: unknown) => code("POLICY_BUNDLE_INVALID")(e) && /policy\.wasm/.test((e as Error).message));
  });
});

describe("bundle from a URL", () => {
  let server: Server;
  let base = "";
  let requests = 0;
  before(async () => {
    server = createServer((req, res) => {
      requests++;
      if (req.url === "/bundle.tar.gz") return void res.end(bytes);
      if (req.url === "/slow") return; // never answers
      res.statusCode = 404;
      res.end("not found");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it("fetches and checks a pinned bundle", async () => {
    const b = await fetchBundle(`${base}/bundle.tar.gz`, pin, { insecureHttpForTests: true });
    assert.match(b.revision, /^builtin-/);
    assert.equal(b.source, `${base}/bundle.tar.gz`);
  });
  it("requires https unless the test-only override is set", async () => {
    await assert.rejects(fetchBundle(`${base}/bundle.tar.gz`, pin), (e: unknown) => code("POLICY_BUNDLE_URL_INVALID")(e) && /https:\/\//.test((e as Error).message));
    await assert.rejects(fetchBundle("file:///etc/passwd", pin), code("POLICY_BUNDLE_URL_INVALID"));
    await assert.rejects(fetchBundle("not a url", pin), code("POLICY_BUNDLE_URL_INVALID"));
  });
  it("refuses an unpinned URL before fetching anything", async () => {
    const before = requests;
    await assert.rejects(fetchBundle(`${base}/bundle.tar.gz`, "", { insecureHttpForTests: true }), code("POLICY_BUNDLE_UNPINNED"));
    assert.equal(requests, before);
  });
  it("refuses a mismatching download", async () => {
    await assert.rejects(fetchBundle(`${base}/bundle.tar.gz`, wrongPin, { insecureHttpForTests: true }), code("POLICY_BUNDLE_DIGEST_MISMATCH"));
  });
  it("reports HTTP errors and timeouts as transient fetch failures", async () => {
    await assert.rejects(
      fetchBundle(`${base}/missing`, pin, { insecureHttpForTests: true }),
      (e: unknown) => code("POLICY_BUNDLE_FETCH_FAILED")(e) && (e as AgentGateError).kind === "transient" && /404/.test((e as Error).message),
    );
    await assert.rejects(
      fetchBundle(`${base}/slow`, pin, { insecureHttpForTests: true, timeoutMs: 200 }),
      (e: unknown) => code("POLICY_BUNDLE_FETCH_FAILED")(e) && /within 200 ms/.test((e as Error).message),
    );
  });
});

describe("a bundle URL in messages", () => {
  it("is shown by host and path: no credentials, no query values (a signed URL's sig=)", async () => {
    const secretUrl = "http://reader:hunter2-password@127.0.0.1:9/bundle.tar.gz?sv=2024&sig=c2lnbmF0dXJlLXNlY3JldA%3D%3D";
    for (const attempt of [fetchBundle(secretUrl, pin, { insecureHttpForTests: true }), fetchBundle(secretUrl.replace("http:", "ftp:"), pin), fetchBundle(secretUrl, "not-a-pin", { insecureHttpForTests: true })])
      await assert.rejects(attempt, (e: unknown) => {
        const m = (e as Error).message;
        assert.doesNotMatch(m, /hunter2|c2lnbmF0dXJl|reader/, m);
        return true;
      });
    await assert.rejects(fetchBundle(secretUrl, pin, { insecureHttpForTests: true }), /http:\/\/127\.0\.0\.1:9\/bundle\.tar\.gz\?sv=\*\*\*&sig=\*\*\*: /);
    await assert.rejects(fetchBundle("https://token@:bad", pin), (e: unknown) => /not a URL \(\d+ characters, not shown\)/.test((e as Error).message) && !(e as Error).message.includes("token"));
  });
});

describe("loadPolicyBundle", () => {
  it("is the built-in bundle when no location is configured", async () => {
    assert.match((await loadPolicyBundle({})).revision, /^builtin-/);
    await assert.rejects(loadPolicyBundle({ sha256: pin }), code("POLICY_BUNDLE_UNPINNED"));
  });
  it("requires the pin for a file and for a URL", async () => {
    await assert.rejects(loadPolicyBundle({ location: BUILTIN_BUNDLE_PATH }), code("POLICY_BUNDLE_UNPINNED"));
    assert.equal((await loadPolicyBundle({ location: BUILTIN_BUNDLE_PATH, sha256: pin })).source, BUILTIN_BUNDLE_PATH);
    await assert.rejects(loadPolicyBundle({ location: "https://policies.invalid/bundle.tar.gz" }), code("POLICY_BUNDLE_UNPINNED"));
    await assert.rejects(loadPolicyBundle({ location: "http://127.0.0.1:9/bundle.tar.gz", sha256: pin }), code("POLICY_BUNDLE_URL_INVALID"));
  });
});
