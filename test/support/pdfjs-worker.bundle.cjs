// bundle: pdfjs-dist/legacy/build/pdf.worker.mjs
// Replaced by the CommonJS bundle of that module (test/support/esbuild-bundle-transform.js).
