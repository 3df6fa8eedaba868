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
        codeSplitting: { groups: [{ name: 'vendor', test: /[\\/]node_modules[\\/]/ }] },
      },
    },
  },
});
