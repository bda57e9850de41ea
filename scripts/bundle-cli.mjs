// Bundles the command line (src/cli/main.ts) into dist/bundle/ (issue 19, "The CLI": a short command's time was the
// module loader and the compiler, not the cryptography):
//
// - agent-gate.js and its chunks: ES modules, one entry and one chunk per command, loaded lazily. Packages with native
//   parts, WebAssembly or files of their own read at run time (PGlite, opa-wasm, probot, pg, ioredis, ...) stay
//   external: only the pure-JavaScript packages a short command loads at start are inlined (INLINE).
// - <command>.cjs for the hot commands (HOT): one self-contained CommonJS script each, every package inlined and no
//   import() left (the build fails otherwise), exporting the command's `run`. bin/agent-gate.js compiles it with
//   vm.Script and a V8 code cache (bin/code-cache.js), so a repeated `verify-bundle` neither resolves, parses nor
//   compiles anything: Node 20 has no code cache for ES modules.
//
// Every source file's `import.meta.url` is rewritten to the URL its compiled twin has in dist/, so relative files
// (trust/, policies/, package.json, worker-thread entries beside a module) resolve exactly as from dist/.
// bin/agent-gate.js uses the bundle only when it is there and no older than dist/cli/main.js.
import { build } from "esbuild";
import { rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const INLINE = [/^@sigstore\//, /^zod(\/|$)/, /^re2js$/, /^lru-cache$/, /^yaml$/, /^@noble\//, /^tslib$/];
/** command -> [source, the function that runs it]; bin/agent-gate.js runs dist/bundle/<command>.cjs when it is there. */
const HOT = {
  "verify-bundle": ["src/cli/verify-bundle.ts", "verifyBundleCommand"],
  "verify-commit": ["src/cli/verify-commit.ts", "verifyCommitCommand"],
};

const builtin = (p) => p.startsWith("node:") || builtinModules.includes(p);

const keepPackagesOut = {
  name: "external-packages",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (builtin(args.path) || !INLINE.some((re) => re.test(args.path))) return { path: args.path, external: true };
      return undefined;
    });
  },
};

const onlyBuiltinsOut = {
  name: "only-builtins-external",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (builtin(args.path) ? { path: args.path, external: true } : undefined));
  },
};

/** `import.meta.url` of each source -> its dist/ twin's URL, relative to `base` (the bundle file's own URL). */
const distUrls = (base) => ({
  name: "dist-import-meta-url",
  setup(b) {
    b.onLoad({ filter: /[/\\]src[/\\].*\.ts$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      if (!source.includes("import.meta.url")) return { contents: source, loader: "ts" };
      // the bundle sits at dist/bundle/: its twin is dist/<path under src>.js
      const twin = relative(`${root}src`, args.path).replace(/\.ts$/, ".js").split("\\").join("/");
      return { contents: source.replaceAll("import.meta.url", `new URL(${JSON.stringify(`../${twin}`)}, ${base}).href`), loader: "ts" };
    });
  },
});

const common = { bundle: true, platform: "node", target: "node20", minifySyntax: true, minifyWhitespace: true, legalComments: "linked", logLevel: "warning" };

// chunk names change with their contents: start empty, so no chunk of an earlier build lingers in the package
rmSync(`${root}dist/bundle`, { recursive: true, force: true });

await build({
  ...common,
  entryPoints: { "agent-gate": `${root}src/cli/main.ts` },
  outdir: `${root}dist/bundle`,
  splitting: true,
  format: "esm",
  chunkNames: "[name]-[hash]",
  // a CommonJS package inlined in an ES module calls require() for node: built-ins
  banner: { js: 'import { createRequire as __agCreateRequire } from "node:module"; const require = __agCreateRequire(import.meta.url);' },
  plugins: [keepPackagesOut, distUrls("import.meta.url")],
});

for (const [name, [source, fn]] of Object.entries(HOT)) {
  const result = await build({
    ...common,
    stdin: { contents: `export { ${fn} as run } from ${JSON.stringify(`./${source}`)};`, resolveDir: root, sourcefile: `${name}.hot.ts`, loader: "ts" },
    outfile: `${root}dist/bundle/${name}.cjs`,
    format: "cjs",
    metafile: true,
    banner: { js: 'var __agBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
    plugins: [onlyBuiltinsOut, distUrls("__agBundleUrl")],
  });
  // a dynamic import() has no loader to go to in vm.Script, and a package left out would be resolved at run time
  const left = Object.values(result.metafile.outputs).flatMap((o) => o.imports).filter((i) => i.kind === "dynamic-import" || !builtin(i.path));
  if (left.length > 0) throw new Error(`dist/bundle/${name}.cjs must be self-contained, but imports ${left.map((i) => `${i.path} (${i.kind})`).join(", ")}`);
}
