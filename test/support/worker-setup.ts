import { inject } from 'vitest';
import { exportsFor } from '../../local/environment';

// Every integration test worker talks to the local environment the way a user's shell would after
// `eval "$(tidemark local env)"`, and gets the environment a deployed Lambda function gets.
const env = inject('localEnv');
Object.assign(process.env, exportsFor(env), env.functionEnv);
