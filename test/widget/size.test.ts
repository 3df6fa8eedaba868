/**
 * The widget's size budget, measured as businesses' visitors pay for it:
 * gzip -9 of the built files. Builds into a temporary folder.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildWidget, LOADER_BUDGET_BYTES, UI_BUDGET_BYTES, type WidgetBuildResult } from '../../widget/build';

const repoRoot = path.resolve(__dirname, '..', '..');

describe('widget size budget', () => {
  const outDir = mkdtempSync(path.join(tmpdir(), 'concierge-widget-size-'));
  let result: WidgetBuildResult;

  beforeAll(async () => {
    result = await buildWidget({ outDir });
  });
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it(`loader.js is at most ${LOADER_BUDGET_BYTES} bytes gzipped`, () => {
    expect(result.loaderGzipBytes).toBeGreaterThan(500);
    expect(result.loaderGzipBytes).toBeLessThanOrEqual(LOADER_BUDGET_BYTES);
  });

  it(`ui.js (with Preact and CSS) is at most ${UI_BUDGET_BYTES} bytes gzipped`, () => {
    expect(result.uiGzipBytes).toBeGreaterThan(4000);
    expect(result.uiGzipBytes).toBeLessThanOrEqual(UI_BUDGET_BYTES);
  });

  it('the loader is a self-contained IIFE; neither bundle needs eval or ships zod', () => {
    const loader = readFileSync(path.join(outDir, 'widget', 'loader.js'), 'utf8');
    const ui = readFileSync(path.join(outDir, 'widget', 'ui.js'), 'utf8');
    expect(loader.slice(0, 20)).toMatch(/^(?:"use strict";)?\(\(\)=>\{/);
    expect(loader.trimEnd().endsWith('})();')).toBe(true);
    for (const js of [loader, ui]) {
      // Strict CSPs without 'unsafe-eval' must work.
      expect(/\beval\(|new Function\(/.test(js)).toBe(false);
      expect(/ZodError|zod/.test(js)).toBe(false);
    }
    expect(/export\s*\{\s*\w+ as mount\s*\}/.test(ui)).toBe(true);
  });

  it('widget sources never build markup from strings', () => {
    const files = readdirSync(path.join(repoRoot, 'widget', 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => /\.tsx?$/.test(f));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const code = readFileSync(path.join(repoRoot, 'widget', 'src', f), 'utf8');
      expect([f, /innerHTML|outerHTML|dangerouslySetInnerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/.test(code)]).toEqual([f, false]);
    }
  });

  it('copies the demo site with exactly one widget tag and both placeholders', () => {
    const html = readFileSync(path.join(outDir, 'demo-site', 'index.html'), 'utf8');
    expect(html.match(/<script\b/g)).toHaveLength(1);
    expect(html).toMatch(/<script src="%WIDGET_LOADER_URL%" data-tenant="%WIDGET_KEY%" async><\/script>/);
  });
});
