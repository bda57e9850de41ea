// Bundles the command line (src/cli/main.ts) into dist/bundle/: one entry and one chunk per command, loaded lazily,
// so `agent-gate verify-bundle` reads a few files instead of resolving ~130 CommonJS modules one by one (the
// module loader, not the cryptography, was most of a short command's time: issue 19, "The CLI").
//
// Kept as they are in dist/: packages with native parts, WebAssembly or files of their own read at run time
// (PGlite, opa-wasm, probot, pg, ioredis, ...): only the pure-JavaScript packages a short command loads at start are
// inlined (INLINE). Every source file's `import.meta.url` is rewritten to the URL its compiled twin has in dist/, so
// relative files (trust/, policies/, package.json, worker-thread entries beside a module) resolve exactly as from
// dist/. bin/agent-gate.js uses the bundle only when it is there and no newer than dist/cli/main.js.
import { build } from "esbuild";
import { readFile } from "node:fs/promises";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const INLINE = [/^@sigstore\//, /^zod(\/|$)/, /^re2js$/, /^lru-cache$/, /^yaml$/, /^@noble\//, /^tslib$/];

const keepPackagesOut = {
  name: "external-packages",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("node:") || !INLINE.some((re) => re.test(args.path))) return { path: args.path, external: true };
      return undefined;
    });
  },
};

const distUrls = {
  name: "dist-import-meta-url",
  setup(b) {
    b.onLoad({ filter: /[/\\]src[/\\].*\.ts$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      if (!source.includes("import.meta.url")) return { contents: source, loader: "ts" };
      // the bundle sits at dist/bundle/: its twin is dist/<path under src>.js
      const twin = relative(`${root}src`, args.path).replace(/\.ts$/, ".js").split("\\").join("/");
      return { contents: source.replaceAll("import.meta.url", `new URL(${JSON.stringify(`../${twin}`)}, import.meta.url).href`), loader: "ts" };
    });
  },
};

await build({
  entryPoints: { "agent-gate": `${root}src/cli/main.ts` },
  outdir: `${root}dist/bundle`,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: "linked",
  chunkNames: "[name]-[hash]",
  // a CommonJS package inlined in an ES module calls require() for node: built-ins
  banner: { js: 'import { createRequire as __agCreateRequire } from "node:module"; const require = __agCreateRequire(import.meta.url);' },
  plugins: [keepPackagesOut, distUrls],
  logLevel: "warning",
});
