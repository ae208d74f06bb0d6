import type { TestProject } from 'vitest/node';
import type { LocalEnvironment } from '../../local/environment';
import { up } from '../../local/local-environment';

declare module 'vitest' {
  export interface ProvidedContext {
    localEnv: LocalEnvironment;
  }
}

/**
 * Starts the local environment once for the integration project (or reuses the one `tidemark local up` runs, or one
 * another test run started), and hands its endpoints to every worker. It is left running at the end: other runs may
 * be using it, and the next run starts in a second instead of five. `tidemark local down` (which `.ci/run` calls at
 * its end) stops it.
 */
export default async function setup(project: TestProject) {
  const env = await up((line) => console.error(`[local] ${line}`));
  project.provide('localEnv', env);
}
