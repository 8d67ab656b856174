// Prints the size of capstan.js minified (esbuild) and gzipped (level 9):
// the number the README quotes.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';

const out = await build({
  entryPoints: [new URL('../capstan.js', import.meta.url).pathname],
  bundle: false,
  minify: true,
  format: 'esm',
  target: 'es2022',
  write: false,
});
const min = out.outputFiles[0].contents;
const gz = gzipSync(min, { level: 9 });
console.log(`capstan.js: ${min.length} bytes minified, ${gz.length} bytes minified + gzipped`);
