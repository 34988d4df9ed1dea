// Builds the inbox app into web/dist, which the server serves on `/` (src/web-app.ts).
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The server's Content-Security-Policy allows no inline script, so nothing is inlined.
    assetsInlineLimit: 0,
  },
  // `npm run dev:web` next to `npm run dev`: the API (and its WebSocket) on port 4000.
  server: {
    proxy: { '/graphql': { target: 'http://localhost:4000', ws: true } },
  },
});
