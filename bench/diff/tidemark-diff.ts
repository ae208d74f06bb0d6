import { Command } from 'commander';
import { register } from '../../cli/commands/diff';

/**
 * The `tidemark diff` command alone, as `cli/main.ts` registers it, for bundling into the benchmark's process: the
 * measured code is the command's, without the start-up of the other subcommands' modules.
 */
const program = new Command('tidemark');
register(program);
await program.parseAsync(process.argv);
