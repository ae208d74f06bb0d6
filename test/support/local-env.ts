import { inject } from 'vitest';
import type { LocalEnvironment } from '../../local/environment';

/** The running local environment (started by the integration project's global setup). */
export function localEnv(): LocalEnvironment {
  return inject('localEnv');
}

/** A name no other test (or earlier run) uses: `prefix-<random>`, a valid DNS label. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}`.toLowerCase();
}
