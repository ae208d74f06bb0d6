import { Command } from 'commander';
import { tidemarkVersion } from '../core/version';
import { register as registerAgent } from './commands/agent';
import { register as registerApply } from './commands/apply';
import { register as registerConfig } from './commands/config';
import { register as registerDemo } from './commands/demo';
import { register as registerDiff } from './commands/diff';
import { register as registerGet } from './commands/get';
import { registerGetResources } from './commands/get-resources';
import { register as registerImages } from './commands/images';
import { register as registerInstall } from './commands/install';
import { register as registerLocal } from './commands/local';
import { register as registerPromotions } from './commands/promotions';
import { register as registerReconcile } from './commands/reconcile';
import { register as registerReconcileResources } from './commands/reconcile-resources';
import { register as registerRender } from './commands/render';
import { register as registerStatus } from './commands/status';
import { register as registerUi } from './commands/ui';
import { register as registerUninstall } from './commands/uninstall';
import { register as registerWait } from './commands/wait';

/**
 * The `tidemark` command (DESIGN.md, "The `tidemark` command"). Each subcommand lives in `cli/commands/<name>.ts` and
 * exports `register(program)`; exit codes are part of the contract, so commands set `process.exitCode` explicitly.
 */
const program = new Command('tidemark')
  .description('GitOps for AWS and EKS: image updates from ECR pushes, a pull agent, drift alerts')
  .version(tidemarkVersion, '--version', 'print the version')
  .showHelpAfterError();

registerAgent(program);
registerApply(program);
registerConfig(program);
registerDemo(program);
registerLocal(program);
registerDiff(program);
registerImages(program);
registerInstall(program);
registerUninstall(program);
registerReconcile(program);
registerGet(program);
registerStatus(program);
registerWait(program);
registerPromotions(program);
registerUi(program);
registerReconcileResources(program);
registerRender(program);
// After any `get` of its own (Syncs): `get resources` joins it as a subcommand, or creates `get`.
registerGetResources(program);

await program.parseAsync(process.argv);
