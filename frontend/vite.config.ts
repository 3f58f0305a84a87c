/// <reference types="vitest/config" />
// Vite builds the single-page app into dist/ (copied into src/ictal/server/static/ by
// scripts/build-frontend.sh). The dev server proxies /api to a running `ictal serve`.
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 400,
    // two pages: the clinician app and the live bedside page (monitor.html)
    rollupOptions: { input: { main: "index.html", monitor: "monitor.html" } },
  },
  server: {
    proxy: { "/api": process.env.ICTAL_API ?? "http://127.0.0.1:8000" },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
