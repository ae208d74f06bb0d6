import type { Command } from 'commander';
import { runDemo } from '../../local/demo/run-demo';

/** `tidemark demo [--keep] [--json]`: the whole GitOps loop on this machine; exit 0 when every step happened. */
export function register(program: Command): void {
  program
    .command('demo')
    .description('run the whole loop locally: image push → commit → agent apply → hand change → drift alert → heal')
    .option('--keep', 'leave the environment and the agent running, and print how to explore them')
    .option('--json', 'print the timeline as JSON on stdout')
    .action(async (opts: { keep?: boolean; json?: boolean }) => {
      const result = await runDemo({ keep: opts.keep ?? false, say: (line) => console.error(line) });
      if (opts.json) {
        console.log(
          JSON.stringify({ ...result.timeline.toJSON(), failedStep: result.failedStep, error: result.error }, null, 2),
        );
      } else {
        console.log(`\n${result.timeline.render()}`);
      }
      if (result.failedStep) {
        console.error(`\ntidemark demo: step '${result.failedStep}' did not happen: ${result.error}`);
        process.exitCode = 1;
      }
    });
}
