import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `npm run dev -w packages/web` serves the dashboard with hot reload and forwards the API to a
// running Assay (ASSAY_URL, default http://127.0.0.1:4141).
const target = process.env.ASSAY_URL ?? 'http://127.0.0.1:4141';

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, reportCompressedSize: true, chunkSizeWarningLimit: 300 },
  server: { proxy: { '/api': target, '/v1': target, '/health': target } },
});
