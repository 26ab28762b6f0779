import { readFileSync } from 'node:fs';
import { defineConfig, type Plugin } from 'vitest/config';

/** Load templates/*.tmpl (and the unit, *.service) as text, exactly as esbuild's text loader does in the binary. */
function templateText(): Plugin {
  return {
    name: 'v6agent-template-text',
    load(id) {
      if (!id.endsWith('.tmpl') && !id.endsWith('.service')) return null;
      return `export default ${JSON.stringify(readFileSync(id, 'utf8'))};`;
    },
  };
}

export default defineConfig({
  plugins: [templateText()],
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
