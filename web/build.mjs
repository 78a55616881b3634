// Bundles the UI into dist/: assets/main-<hash>.js and .css (three.js included, nothing loaded
// from elsewhere at run time) and one index.html per page, so the server answers /dashboard and
// /mesh with the page (a directory's index.html answers for the directory).
//
//   node build.mjs            # production build, minified
//   node build.mjs --dev      # unminified, with source maps
import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, 'dist');
const dev = process.argv.includes('--dev');
// The client-side routes (src/router.ts names the same pages).
const pages = ['dashboard', 'mesh'];

await rm(dist, { recursive: true, force: true });
const result = await build({
  absWorkingDir: here,
  entryPoints: ['src/main.ts'],
  outdir: 'dist/assets',
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  bundle: true,
  format: 'esm',
  target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
  minify: !dev,
  sourcemap: dev,
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((file) => '/' + path.relative('dist', file));
const script = outputs.find((file) => file.endsWith('.js'));
const style = outputs.find((file) => file.endsWith('.css'));
if (!script || !style) throw new Error(`esbuild wrote no script or style: ${outputs.join(', ')}`);

const template = await readFile(path.join(here, 'src/index.html'), 'utf8');
const html = template.replaceAll('%SCRIPT%', script).replaceAll('%STYLE%', style);
if (/%[A-Z]+%/.test(html)) throw new Error('src/index.html has a placeholder the build does not fill');
await writeFile(path.join(dist, 'index.html'), html);
for (const page of pages) {
  await mkdir(path.join(dist, page), { recursive: true });
  await writeFile(path.join(dist, page, 'index.html'), html);
}
console.log(`web: built ${script}, ${style} and ${pages.length + 1} pages into dist/`);
