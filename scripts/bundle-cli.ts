/**
 * The build's last step (`npm run bundle`): the compiled CLI (dist/src) and the pure-JavaScript
 * packages it imports as one esbuild bundle in dist/cli, split where a command is imported
 * lazily, so a command starts by reading a few files instead of some 400 modules. Left as
 * imports: ssh2 and node-ssh (ssh2 loads optional native add-ons), gRPC (only the CRI steps
 * load it), and ajv (the precompiled validators in dist/ and the run-time fallback require it).
 */
import path from 'node:path';
import { build } from 'esbuild';

const root = path.join(import.meta.dirname, '..');

await build({
  entryPoints: [path.join(root, 'dist/src/cli/main.js')],
  outdir: path.join(root, 'dist/cli'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  external: ['ssh2', 'node-ssh', '@grpc/grpc-js', '@grpc/proto-loader', 'cpu-features', 'ajv'],
  // CommonJS packages inside an ES module bundle call require() for Node's own modules.
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  logLevel: 'warning',
});
