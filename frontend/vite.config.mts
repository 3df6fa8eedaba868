/**
 * Builds the admin UI into dist/admin/ with relative asset paths, so the same
 * build works under Amplify Hosting and at <origin>/admin/ in the local cloud.
 * Run from the repository root: `vite build --config frontend/vite.config.mts`.
 */
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/admin', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // React, Amplify Auth and the Authenticator are most of the bytes: a separate
    // vendor chunk stays cached across app releases.
    chunkSizeWarningLimit: 1024,
    rolldownOptions: {
      output: {
        // Recharts and its d3 / redux helpers load only with the Analytics page (a lazy import): they get a
        // chunk of their own, matched before the catch-all vendor group.
        codeSplitting: {
          groups: [
            { name: 'charts', test: /[\\/]node_modules[\\/](recharts|d3-[^\\/]+|victory-vendor|@reduxjs|redux|reselect|decimal\.js-light|internmap|react-redux)[\\/]/, priority: 2, includeDependenciesRecursively: false },
            { name: 'vendor', test: /[\\/]node_modules[\\/]/, priority: 1 },
          ],
        },
      },
    },
  },
});
