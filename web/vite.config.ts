import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * The browser apps, built into dist/apps and served by Carnet itself (src/http/web-plugin.ts): the landing
 * page (/), the citizen portal (/portail/) and the professional workspace (/clinique/). One build, shared
 * chunks (React, i18n, the UI library) cached across apps; hashed file names so they can be cached forever.
 */
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/',
  plugins: [react()],
  // fhirclient's "pure" build: no fetch/AbortController polyfills (every supported browser has them).
  define: { FHIRCLIENT_PURE: 'true' },
  logLevel: 'warn',
  build: {
    outDir: here('../dist/apps'),
    emptyOutDir: true,
    target: 'es2022',
    // No inline modulepreload polyfill: the Content-Security-Policy allows no inline script.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: false,
    rollupOptions: {
      // fhirclient's isomorphic-webcrypto shim mixes CommonJS and ESM in a branch browsers never take
      // (they have crypto.subtle): its warning is noise on every build.
      onwarn(warning, warn) {
        if (warning.code === 'COMMONJS_VARIABLE_IN_ESM' && /isomorphic-webcrypto/.test(warning.id ?? warning.message)) return;
        warn(warning);
      },
      // The code the apps share (React, i18n, the UI library) is one chunk, cached across apps.
      output: { chunkFileNames: 'assets/shared-[hash].js', assetFileNames: (asset) => (asset.names.some((n) => n.endsWith('.css')) ? 'assets/carnet-[hash][extname]' : 'assets/[name]-[hash][extname]') },
      input: {
        landing: here('index.html'),
        portail: here('portail/index.html'),
        clinique: here('clinique/index.html'),
      },
    },
  },
});
