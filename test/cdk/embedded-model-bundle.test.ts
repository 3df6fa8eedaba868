/**
 * USE-lite in a deployed function: bundled by esbuild as the stack bundles (node22, cjs, minified), the embedder
 * must find its weights and TensorFlow.js its .wasm files. Inlined into the bundle it cannot (the packages read
 * files beside their own code); with EMBEDDED_MODEL_PACKAGES external and their folders copied beside the bundle
 * (what the stack's afterBundling hook copies), it embeds. Each bundle runs in a fresh Node process in a folder of
 * its own outside the project, as in a function's asset. The stack side: the embedding functions get them.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { EMBEDDED_MODEL_PACKAGES, OPENSEARCH_PACKAGES, packageFolders, UNBUNDLED_PACKAGES } from '../../lib/constructs/concierge-function';
import * as declaration from '../../lib/declaration';
import { synthesize } from './support/synth';

const ROOT = join(__dirname, '..', '..');
const run = promisify(execFile);
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'concierge-bundle-'));
  writeFileSync(
    join(dir, 'entry.ts'),
    `import { useLiteEmbedder } from ${JSON.stringify(join(ROOT, 'lambdas', 'adapters', 'embeddings', 'use-lite'))};
const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0);
useLiteEmbedder()
  .embed(['Do you have parking?', 'Is there a car park for patients?', 'Who won the Six Nations last year?'])
  .then(([q, near, far]) => process.stdout.write(JSON.stringify({ dimensions: q?.length, near: dot(q ?? [], near ?? []), far: dot(q ?? [], far ?? []) })))
  .catch((error: unknown) => { process.stderr.write(String(error)); process.exit(3); });
`,
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Bundles the entry into a folder of its own, with `external` packages (and their dependencies) copied beside it. */
async function bundle(name: string, external: readonly string[]): Promise<string> {
  const asset = join(dir, name);
  for (const folder of packageFolders(ROOT, external)) cpSync(join(ROOT, folder), join(asset, folder), { recursive: true });
  const outfile = join(asset, 'index.js');
  await build({ entryPoints: [join(dir, 'entry.ts')], outfile, bundle: true, platform: 'node', target: 'node22', format: 'cjs', minify: true, external: [...external], logLevel: 'silent' });
  return outfile;
}

describe('USE-lite bundled as deployed', () => {
  it('embeds when its packages are copied beside the bundle', async () => {
    const file = await bundle('installed', EMBEDDED_MODEL_PACKAGES);
    const { stdout } = await run(process.execPath, [file], { cwd: join(file, '..'), env: { ...process.env, NODE_PATH: '' } });
    const result = JSON.parse(stdout) as { dimensions: number; near: number; far: number };
    expect(result.dimensions).toBe(512);
    expect(result.near).toBeGreaterThan(result.far + 0.2);
  });

  it('cannot load its model when inlined into the bundle (why they are installed)', async () => {
    const file = await bundle('inlined', []);
    await expect(run(process.execPath, [file], { cwd: join(file, '..'), env: { ...process.env, NODE_PATH: '' } })).rejects.toMatchObject({ code: 3, stderr: expect.stringContaining('model.json does not exist') });
  });
});

describe('the stack', () => {
  it('copies the model packages (embedded) or the OpenSearch client (opensearch-serverless) beside exactly the functions that search', () => {
    const embedded = synthesize('demo', { overrides: { vectorStore: 'embedded' } });
    const opensearch = synthesize('demo', { overrides: { vectorStore: 'opensearch-serverless' } });
    for (const [name, decl] of Object.entries(declaration.functions) as [declaration.FunctionName, declaration.FunctionDecl][]) {
      const embeds = decl.grants.some((g: declaration.Grant) => g === 'llm:invoke' || g === 'knowledge:index');
      expect([name, embedded.stack.functions.get(name).installedModules]).toEqual([name, embeds ? EMBEDDED_MODEL_PACKAGES : []]);
      expect([name, opensearch.stack.functions.get(name).installedModules]).toEqual([name, embeds ? OPENSEARCH_PACKAGES : []]);
      // Left out of every bundle (inlined, the model cannot find model.json, as above), whether copied beside it or not.
      for (const stack of [embedded.stack, opensearch.stack]) {
        expect([name, stack.functions.get(name).externalModules]).toEqual([name, expect.arrayContaining([...UNBUNDLED_PACKAGES])]);
      }
    }
  });
});
