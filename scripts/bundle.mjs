#!/usr/bin/env node
// Builds the single-file bundle tugboat uploads to hosts: dist/bundles/tugboat-host-<sha256:16>.mjs
// plus manifest.json. No native addons: a `.node` file is refused. Hosts never open SSH
// connections, so ssh2 (which the library API re-exports for the CLI) is replaced by a stub
// whose Client throws; that also keeps its optional native accelerators out.
// The bundle says which tugboat version it is (src/version.ts): package.json's, or V with
// --set-version V (the upgrade tests build a "newer" bundle that way).
// Usage: node scripts/bundle.mjs [--outdir DIR] [--set-version V]
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outdirFlag = args.indexOf('--outdir');
const outdir = resolve(outdirFlag >= 0 ? args[outdirFlag + 1] : join(root, 'dist', 'bundles'));
const versionFlag = args.indexOf('--set-version');
const version =
  versionFlag >= 0
    ? args[versionFlag + 1]
    : JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
if (!/^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$/.test(version ?? '')) {
  process.stderr.write(`--set-version ${version}: not a version like 1.2.3\n`);
  process.exit(2);
}
const noNativeAddons = {
  name: 'no-native-addons',
  setup(b) {
    b.onResolve({ filter: /\.node$/ }, (a) => ({
      errors: [
        { text: `native addon ${a.path} (from ${relative(root, a.importer)}) cannot go into a host bundle` },
      ],
    }));
    b.onResolve({ filter: /^ssh2$/ }, () => ({ path: 'ssh2', namespace: 'ssh2-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'ssh2-stub' }, () => ({
      contents: [
        'const absent = () => { throw new Error("ssh2 is not part of the tugboat host bundle: run SSH from the tugboat CLI"); };',
        'export class Client { constructor() { absent(); } }',
        'export const utils = { generateKeyPairSync: absent, parseKey: absent };',
        'export default { Client, utils };',
      ].join('\n'),
      loader: 'js',
    }));
  },
};

const started = Date.now();
const result = await build({
  stdin: {
    contents:
      "import { hostMain } from './src/cli/host-main.ts';\nprocess.exitCode = await hostMain(process.argv.slice(2));\n",
    resolveDir: root,
    sourcefile: 'host-entry.ts',
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  // Whitespace and syntax only: minified identifiers make V8 spend ~40 MB more malloc compiling the
  // module (kept for the process's life: agent and control plane alike) and load ~0.6 s slower;
  // the file is 6.2 instead of 4.2 MiB (bench/agent.md).
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  write: false,
  metafile: true,
  logLevel: 'error',
  plugins: [noNativeAddons],
  define: { __TUGBOAT_VERSION__: JSON.stringify(version) },
  // The first line says which version the bundle is (hostBundleVersion reads it: `tugboat upgrade
  // --bundle FILE` targets that version). CommonJS dependencies call require(); give the ES module
  // bundle one.
  banner: {
    js: `// tugboat-host-bundle ${version}\nimport { createRequire as __tugboatRequire } from 'node:module';const require=__tugboatRequire(import.meta.url);`,
  },
});
const code = result.outputFiles[0].contents;
const sha256 = createHash('sha256').update(code).digest('hex');
const file = `tugboat-host-${sha256.slice(0, 16)}.mjs`;
mkdirSync(outdir, { recursive: true });
for (const old of readdirSync(outdir))
  if (/^tugboat-host-[0-9a-f]{16}\.mjs$/.test(old)) rmSync(join(outdir, old));
writeFileSync(join(outdir, file), code, { mode: 0o755 });
const manifest = {
  file,
  version,
  sha256,
  bytes: code.length,
  inputs: Object.keys(result.metafile.inputs).length,
  ms: Date.now() - started,
};
writeFileSync(join(outdir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
process.stdout.write(`${JSON.stringify({ ...manifest, path: join(outdir, file) })}\n`);
