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

/** package -> the file of dist/bundle/ it is bundled into, required by a hot script at first use of an export. */
const LAZY = { re2js: "re2js.cjs", zod: "zod.cjs" };

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

// A LAZY package in a hot script: a stand-in whose exports are getters requiring the package's own file beside the
// script at first use (the script's require is createRequire(script): "./<file>" is dist/bundle/<file>).
const lazyPackages = {
  name: "lazy-packages",
  setup(b) {
    const names = Object.keys(LAZY).map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    b.onResolve({ filter: new RegExp(`^(${names.join("|")})$`) }, (args) => ({ path: args.path, namespace: "lazy-package" }));
    b.onResolve({ filter: /.*/, namespace: "lazy-package" }, (args) => ({ path: args.path, external: true }));
    b.onLoad({ filter: /.*/, namespace: "lazy-package" }, (args) => {
      // a getter for each name the sources import (collectLazyUses, a first pass over the same sources): a getter per
      // export of zod (260) cost a run ~1 ms to define and copy
      const file = LAZY[args.path];
      const getters = [...lazyNames(args.path)].map((e) => `Object.defineProperty(module.exports, ${JSON.stringify(e)}, { enumerable: true, get: () => get(${JSON.stringify(e)}) });`);
      return {
        contents: [
          `let loaded; const get = (name) => { loaded ??= require(${JSON.stringify(`./${file}`)});`,
          `  if (!(name in loaded)) throw new Error(\`${args.path}.\${name} is not in dist/bundle/${file}: scripts/bundle-cli.mjs did not see it imported\`);`,
          "  return loaded[name]; };",
          ...getters,
        ].join("\n"),
        loader: "js",
      };
    });
  },
};

// What the sources import of each LAZY package: `import { a, b as c }` names a and b, `import * as ns` the names read as
// ns.<name>. zod.cjs and re2js.cjs export just those (tree-shaken: zod's whole CommonJS build is 0.7 MB), and the
// hot script's stand-in has a getter for each. Any other form of import fails the build.
const lazyUses = new Map(Object.keys(LAZY).map((pkg) => [pkg, new Set()]));
const lazyNames = (pkg) => lazyUses.get(pkg);
const collectLazyUses = {
  name: "collect-lazy-uses",
  setup(b) {
    b.onLoad({ filter: /[/\\]src[/\\].*\.ts$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      for (const [pkg, names] of lazyUses) {
        const from = `from ${JSON.stringify(pkg)}`;
        if (!source.includes(from)) continue;
        for (const line of source.split("\n").filter((l) => l.includes(from))) {
          const ns = /^import \* as (\w+) from/.exec(line)?.[1];
          const named = /^import \{([^}]*)\} from/.exec(line)?.[1];
          if (/^import type /.test(line)) continue;
          if (ns !== undefined) for (const m of source.matchAll(new RegExp(`\\b${ns}\\.([A-Za-z_$][\\w$]*)`, "g"))) names.add(m[1]);
          else if (named !== undefined) for (const n of named.split(",").map((x) => x.trim()).filter((x) => x !== "" && !x.startsWith("type "))) names.add(n.split(/\s+as\s+/)[0]);
          else throw new Error(`${relative(root, args.path)}: import ${pkg} as import * as NS or import { ... } (scripts/bundle-cli.mjs LAZY), not: ${line}`);
        }
      }
      return undefined;
    });
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

const lazyFiles = new Set(Object.values(LAZY).map((file) => `./${file}`));

const hotOptions = (name, [source, fn]) => ({
  ...common,
  stdin: { contents: `export { ${fn} as run } from ${JSON.stringify(`./${source}`)};`, resolveDir: root, sourcefile: `${name}.hot.ts`, loader: "ts" },
  outfile: `${root}dist/bundle/${name}.cjs`,
  format: "cjs",
  metafile: true,
  banner: { js: 'var __agBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
});
// first pass: what the hot scripts import of the LAZY packages, all of it known before any stand-in is written
for (const [name, hot] of Object.entries(HOT)) {
  await build({ ...hotOptions(name, hot), write: false, plugins: [collectLazyUses, lazyPackages, onlyBuiltinsOut, distUrls("__agBundleUrl")] });
}

for (const [name, hot] of Object.entries(HOT)) {
  const result = await build({ ...hotOptions(name, hot), plugins: [lazyPackages, onlyBuiltinsOut, distUrls("__agBundleUrl")] });
  // a dynamic import() has no loader to go to in vm.Script, and a package left out would be resolved at run time
  const left = Object.values(result.metafile.outputs).flatMap((o) => o.imports).filter((i) => i.kind === "dynamic-import" || !(builtin(i.path) || (i.kind === "require-call" && lazyFiles.has(i.path))));
  if (left.length > 0) throw new Error(`dist/bundle/${name}.cjs must be self-contained, but imports ${left.map((i) => `${i.path} (${i.kind})`).join(", ")}`);
}

for (const [pkg, file] of Object.entries(LAZY)) {
  const names = [...lazyNames(pkg)].sort();
  await build({
    ...common,
    stdin: { contents: `export { ${names.join(", ")} } from ${JSON.stringify(pkg)};`, resolveDir: root, sourcefile: `${pkg}.lazy.js`, loader: "js" },
    outfile: `${root}dist/bundle/${file}`,
    format: "cjs",
    plugins: [onlyBuiltinsOut],
  });
}
