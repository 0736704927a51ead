import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { viteSingleFile } from 'vite-plugin-singlefile';

/**
 * The verification page as one self-contained HTML file (dist/verify.html): every script and style inlined, so that
 * a court keeps the file and opens it from disk. The gateway serves the same file at /verify.
 */
export default defineConfig({
  plugins: [react(), viteSingleFile({ removeViteModuleLoader: true })],
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    rollupOptions: { input: 'verify.html' },
    chunkSizeWarningLimit: 3000,
  },
});
