import { diffLocal } from '../../cli/commands/diff';

/**
 * One `tidemark diff` scan in a process of its own, printing the drifted objects, the scan's statistics, its time and
 * the process's peak RSS as JSON. Run bundled (plain node, no TypeScript loader) so the RSS is the scan's own.
 * Arguments: DIR NAME NAMESPACE CACHE_DIR
 */
const [dir, name, namespace, cacheDir] = process.argv.slice(2);
const started = performance.now();
const { report, stats } = await diffLocal(dir ?? '.', { name, namespace, cacheDir, ignoreRules: '' });
const ms = performance.now() - started;
const drifted = report.findings.flatMap((f) =>
  'object' in f ? [`${f.object.kind}/${f.object.namespace}/${f.object.name}`] : [],
);
console.log(JSON.stringify({ ms, drifted, stats, maxRssKb: process.resourceUsage().maxRSS }));
