/**
 * Builds the embeddable widget and the demo business site:
 *
 *   dist/widget/loader.js   IIFE, minified, es2019: the tag businesses paste
 *   dist/widget/ui.js       ES module imported by the loader: Preact + CSS
 *   dist/widget/checkout-return.html  where Stripe Checkout sends the customer back
 *   dist/demo-site/         Harbour Dental Studio, with `%WIDGET_LOADER_URL%`
 *                           and `%WIDGET_KEY%` left for the server to fill
 *
 * `npx tsx widget/build.ts` prints gzip -9 sizes and fails past the budgets.
 * `config.json` is not built: the host serving `dist/widget/` writes it per
 * environment (`{ "wsUrl": "...", "apiUrl": "..." }`).
 */
import { build, transform, type BuildOptions as EsbuildOptions, type Plugin } from 'esbuild';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

export const LOADER_BUDGET_BYTES = 5 * 1024;
export const UI_BUDGET_BYTES = 35 * 1024;

const root = path.resolve(__dirname, '..');
const src = path.join(__dirname, 'src');

export interface WidgetBuildResult {
  readonly loaderGzipBytes: number;
  readonly uiGzipBytes: number;
}

export interface BuildOptions {
  /** Output root. @default `<repo>/dist` */
  readonly outDir?: string;
}

/** `import css from './x.css'` → the file's minified text. */
const cssAsText: Plugin = {
  name: 'css-as-text',
  setup(b) {
    b.onLoad({ filter: /\.css$/ }, async (args) => {
      const { code } = await transform(await readFile(args.path, 'utf8'), { loader: 'css', minify: true, target: ['chrome80', 'safari14', 'firefox78'] });
      return { contents: `export default ${JSON.stringify(code.trim())};`, loader: 'js' };
    });
  },
};

const common: EsbuildOptions = {
  bundle: true,
  minify: true,
  target: 'es2019',
  platform: 'browser',
  legalComments: 'none',
  charset: 'utf8',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  // Both bundles take the zod-free protocol types only; no schema library ships.
  plugins: [cssAsText],
  // The loader imports ui.js by URL at run time; every browser with Shadow DOM and adoptedStyleSheets has import().
  supported: { 'dynamic-import': true },
  logLevel: 'warning',
};

function gzipSize(bytes: Buffer): number {
  return gzipSync(bytes, { level: 9 }).length;
}

/**
 * Writes `bytes` to `file` unless it already holds them, through a temporary file renamed over it: a local cloud
 * serving the folder (another test worker's, say) sees the old file or the new one, never half of one.
 */
async function writeAtomically(file: string, bytes: Uint8Array): Promise<void> {
  const current = await readFile(file).catch(() => undefined);
  if (current && Buffer.compare(current, bytes) === 0) return;
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, bytes);
  await rename(temporary, file);
}

/** Copies a folder's files (recursively) with {@link writeAtomically}. */
async function copyAtomically(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) await copyAtomically(source, target);
    else await writeAtomically(target, await readFile(source));
  }
}

export async function buildWidget(options: BuildOptions = {}): Promise<WidgetBuildResult> {
  const outDir = options.outDir ?? path.join(root, 'dist');
  const widgetOut = path.join(outDir, 'widget');
  const demoOut = path.join(outDir, 'demo-site');
  // Nothing is deleted or written in place: a local cloud may be serving this folder right now.
  await mkdir(widgetOut, { recursive: true });

  const bundle = async (entry: string, format: 'iife' | 'esm'): Promise<Uint8Array> => {
    const out = await build({ ...common, entryPoints: [path.join(src, entry)], format, write: false, outfile: 'bundle.js' });
    const file = out.outputFiles[0];
    if (!file) throw new Error(`esbuild produced nothing for ${entry}`);
    return file.contents;
  };
  const [loader, ui] = await Promise.all([bundle('loader.ts', 'iife'), bundle('ui.tsx', 'esm')]);
  await writeAtomically(path.join(widgetOut, 'loader.js'), loader);
  await writeAtomically(path.join(widgetOut, 'ui.js'), ui);
  await copyAtomically(path.join(__dirname, 'demo-site'), demoOut);
  // Where Stripe Checkout sends a customer back (CHECKOUT_RETURN_URL in AWS): static, no script, served by the widget CDN.
  await writeAtomically(path.join(widgetOut, 'checkout-return.html'), await readFile(path.join(__dirname, 'checkout-return.html')));

  return { loaderGzipBytes: gzipSize(Buffer.from(loader)), uiGzipBytes: gzipSize(Buffer.from(ui)) };
}

function kb(n: number): string {
  return `${(n / 1024).toFixed(2)} KB`;
}

async function main(): Promise<void> {
  const started = Date.now();
  const r = await buildWidget();
  const out = path.join(root, 'dist', 'widget');
  const raw = async (f: string): Promise<number> => (await stat(path.join(out, f))).size;
  const rows: [string, number, number, number][] = [
    ['dist/widget/loader.js', await raw('loader.js'), r.loaderGzipBytes, LOADER_BUDGET_BYTES],
    ['dist/widget/ui.js', await raw('ui.js'), r.uiGzipBytes, UI_BUDGET_BYTES],
  ];
  let over = false;
  for (const [file, size, gz, budget] of rows) {
    const ok = gz <= budget;
    over ||= !ok;
    console.log(`${file.padEnd(24)} ${kb(size).padStart(10)} raw  ${kb(gz).padStart(9)} gzip -9  (budget ${kb(budget)}) ${ok ? 'ok' : 'OVER BUDGET'}`);
  }
  console.log(`dist/demo-site/ copied; built in ${Date.now() - started} ms`);
  if (over) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
