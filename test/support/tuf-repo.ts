// A TUF repository on loopback, with metadata signed by @tufjs/repo-mock's generated keys: what @sigstore/tuf
// fetches from the public-good instance, served here so that refreshes run the real TUF client without a network.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
// The metadata builders only: the package's index loads nock, which takes over every HTTP request of the process.
import { initializeTUFRepo } from "@tufjs/repo-mock/dist/repo.js";
import { tufHandlers } from "@tufjs/repo-mock/dist/handler.js";
import type { Target } from "@tufjs/repo-mock/dist/shared.types.js";

export interface LocalTufRepo {
  /** The mirror URL (metadata at its root, targets under /targets, as @sigstore/tuf expects). */
  readonly url: string;
  /** The repository's root.json, written to `dir`: the root it is first trusted with. */
  readonly rootPath: string;
  /** Answer every request with this status instead (a mirror that is down). */
  failWith: number | undefined;
  /** Requests answered so far. */
  requests: number;
  /** Serves a new repository (new keys, new targets): clients that trusted the old root must refuse it. */
  replace(targets: Target[]): void;
  close(): Promise<void>;
}

type Fn = () => { statusCode: number; response: string | Buffer; contentType?: string };

const handlersOf = (targets: Target[]): Map<string, Fn> => new Map(tufHandlers(initializeTUFRepo(targets), { metadataPathPrefix: "", targetPathPrefix: "/targets" }).map((h) => [h.path, h.fn]));

export async function localTufRepo(dir: string, targets: Target[]): Promise<LocalTufRepo> {
  let handlers = handlersOf(targets);
  const rootPath = join(dir, "tuf-root.json");
  writeFileSync(rootPath, handlers.get("/1.root.json")!().response);
  const server: Server = createServer((req, res) => {
    repo.requests++;
    if (repo.failWith !== undefined) return void res.writeHead(repo.failWith, { "content-type": "text/plain" }).end("the mirror is down");
    const fn = handlers.get((req.url ?? "").split("?")[0]!);
    if (!fn) return void res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    const r = fn();
    res.writeHead(r.statusCode, { "content-type": r.contentType ?? "application/octet-stream" }).end(r.response);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const repo: LocalTufRepo = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    rootPath,
    failWith: undefined,
    requests: 0,
    replace: (next) => void (handlers = handlersOf(next)),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  return repo;
}
