import type { TestProject } from 'vitest/node';
import type { LocalEnvironment } from '../../local/environment';
import { down, readEnvironment, up } from '../../local/local-environment';

declare module 'vitest' {
  export interface ProvidedContext {
    localEnv: LocalEnvironment;
  }
}

/**
 * Starts the local environment once for the integration project (or reuses the one `tidemark local up` runs), and
 * hands its endpoints to every worker. An environment this setup started is stopped at the end, unless
 * TIDEMARK_KEEP_LOCAL=1 asks to keep it for the next run.
 */
export default async function setup(project: TestProject) {
  const wasRunning = readEnvironment() !== undefined;
  const env = await up((line) => console.error(`[local] ${line}`));
  project.provide('localEnv', env);
  return async () => {
    if (!wasRunning && process.env.TIDEMARK_KEEP_LOCAL !== '1') await down(env);
  };
}
