/** Small DOM helpers shared by the loader and the UI. No markup strings: nodes are built one by one. */

/**
 * Adds CSS to a shadow root: a constructable stylesheet when the browser has
 * them (not subject to a page's `style-src`), else a `<style>` element carrying
 * the loader script's nonce so a nonce-based CSP can allow it.
 */
export function adoptStyles(root: ShadowRoot, css: string, nonce?: string): void {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
    return;
  } catch {
    // Older engines: fall back to a <style> element.
  }
  const style = document.createElement('style');
  if (nonce) style.nonce = nonce;
  style.textContent = css;
  root.appendChild(style);
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An inline, decorative 24×24 icon from path data. */
export function svgIcon(paths: readonly string[], className?: string): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  if (className) svg.setAttribute('class', className);
  for (const d of paths) {
    const p = document.createElementNS(SVG_NS, 'path');
    p.setAttribute('d', d);
    svg.appendChild(p);
  }
  return svg;
}
