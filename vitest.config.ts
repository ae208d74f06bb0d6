import { defineConfig } from 'vitest/config';

/**
 * Two projects:
 * - `unit`: `*.test.ts` outside `test/integration`-style names; pure code, no servers.
 * - `integration`: `*.int.test.ts`; runs against the real local environment (kube-apiserver, git server, moto,
 *   Slack receiver), which `test/support/global-setup.ts` starts once (or reuses when `tidemark local up` already
 *   runs it) and shares with every worker.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{core,engine,adapters,functions,agent,infra,cli,local,test,reconcilers,examples}/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: [
            '{core,engine,adapters,functions,agent,infra,cli,local,test,reconcilers,examples}/**/*.int.test.ts',
          ],
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/worker-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // Two cores: a worker per core keeps the API server responsive.
          maxWorkers: 2,
        },
      },
    ],
  },
});
