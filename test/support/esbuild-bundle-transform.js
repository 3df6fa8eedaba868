/**
 * A jest transform for ES-module-only packages that jest (before Node 24.9)
 * cannot require, transformed or not, because they are `.mjs` files: pdf.js
 * (`pdfjs-dist` 4). jest.config.js maps the module to a stub file whose first
 * line names it (`// bundle: pdfjs-dist/legacy/build/pdf.mjs`); this transform
 * replaces the stub with the module bundled to CommonJS by esbuild, which is
 * also how the Lambda bundle carries it. Test support only.
 */
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const esbuild = require('esbuild');

const DIRECTIVE = /^\/\/ bundle: (\S+)/;

function target(source, path) {
  const match = DIRECTIVE.exec(source);
  if (!match) throw new Error(`${path}: the first line must be "// bundle: <module>"`);
  return match[1];
}

module.exports = {
  getCacheKey(source, path) {
    const entry = target(source, path);
    const pkg = entry.startsWith('@') ? entry.split('/').slice(0, 2).join('/') : entry.split('/')[0];
    const version = JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')).version;
    return createHash('sha256').update(`${source}\0${pkg}@${version}\0esbuild@${esbuild.version}`).digest('hex');
  },
  process(source, path) {
    const entry = target(source, path);
    const out = esbuild.buildSync({
      entryPoints: [require.resolve(entry)],
      bundle: true,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      write: false,
      logLevel: 'silent',
    });
    return { code: out.outputFiles[0].text };
  },
};
