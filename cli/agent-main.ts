import { Command } from 'commander';
import { tidemarkVersion } from '../core/version';
import { register as registerAgent } from './commands/agent';
import { register as registerApply } from './commands/apply';
import { register as registerReconcile } from './commands/reconcile';

/**
 * The entry point of the agent image: the `tidemark` commands that belong in a cluster (`agent`, `apply`,
 * `reconcile`) and nothing else, so the bundle carries neither the CDK app nor the local environment and the agent
 * starts small (see the memory budget in bench/apply).
 */
const program = new Command('tidemark')
  .description('the Tidemark pull agent')
  .version(tidemarkVersion, '--version', 'print the version')
  .showHelpAfterError();
registerAgent(program);
registerApply(program);
registerReconcile(program);
await program.parseAsync(process.argv);
