import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The SPA lives in client/; the API is Express on PORT (3000), proxied in development.
export default defineConfig({
  root: "client",
  envDir: "..",
  plugins: [react()],
  build: { outDir: "../dist/client", emptyOutDir: true, sourcemap: true },
  server: {
    port: 5173,
    strictPort: true,
    proxy: { "/api": "http://localhost:3000", "/healthz": "http://localhost:3000" },
  },
});
