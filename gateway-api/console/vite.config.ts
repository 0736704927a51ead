import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Static files only: the gateway serves dist/ at / (gateway-api/src/http/console-site.ts).
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
  },
});
