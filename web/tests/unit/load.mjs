// Loads a TypeScript module of src/ into Node for a unit test: esbuild bundles it in memory (no
// files written) and the bundle is imported from a data: URL.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export async function loadSource(relative) {
  const result = await build({
    absWorkingDir: web,
    entryPoints: [relative],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].text;
  return import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
}
