import { defineConfig } from 'vitest/config';

// Tests run against each package's source through the `@research-ts/source` export condition,
// so no build is needed before testing. GPU tests (`*.gpu.test.ts`) run only when RESEARCH_TS_GPU=1.
const sourceConditions = ['@research-ts/source', 'node', 'import', 'module', 'default'];
const gpu = process.env.RESEARCH_TS_GPU === '1';

export default defineConfig({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions, externalConditions: ['@research-ts/source'] } },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'apps/*/src/**/*.test.ts',
      'apps/*/test/**/*.test.ts',
      'examples/*/**/*.test.ts',
      'tests/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', '**/dist/**', ...(gpu ? [] : ['**/*.gpu.test.ts'])],
    globalSetup: ['tests/setup/install-lavapipe.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest/report.json' },
  },
});
