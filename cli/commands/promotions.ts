import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import type { ConfigRepo, HeadFiles } from '../../adapters/config-repo/config-repo';
import { describeScanFindings } from '../../adapters/ecr/scan-findings';
import { VersionedItems } from '../../adapters/state/versioned-items';
import { IMAGE_POLICY_FILE } from '../../core/images/image-policy';
import { PROMOTIONS_FILE } from '../../core/promotion/promotion-file';
import type { CandidateStanding, PromotionStandings } from '../../core/promotion/standing';
import { readPromotionStandings } from '../../engine/promotion/standings';

interface PromotionsOptions {
  table?: string;
  scans?: boolean;
  output: 'text' | 'json';
}

/**
 * `tidemark promotions [DIR]`: per pipeline, where each candidate stands in each stage and which gate holds it, as the
 * promoter judges it now: `.tidemark/promotions.yaml` from a checkout, the evidence from the State table. Exit 0 when
 * it could tell (whatever the standings), 2 when it could not (no file, an invalid file, no table).
 */
export function register(program: Command): void {
  program
    .command('promotions')
    .description('where each candidate stands per stage of .tidemark/promotions.yaml, and which gate holds it')
    .argument('[dir]', 'a checkout of the config repo', '.')
    .option('--table <name>', "the State table (default: $TIDEMARK_TABLE_NAME, the stack's table)")
    .option('--scans', 'ask ECR for scans not yet recorded (DescribeImageScanFindings), as the scheduled run does')
    .addOption(new Option('--output <format>', 'text or json').choices(['text', 'json']).default('text'))
    .action(async (dir: string, options: PromotionsOptions) => {
      process.exitCode = await promotions(dir, options);
    });
}

async function promotions(dir: string, options: PromotionsOptions): Promise<number> {
  try {
    const table = options.table ?? process.env.TIDEMARK_TABLE_NAME;
    if (!table) throw new Error('no State table: pass --table NAME or set TIDEMARK_TABLE_NAME (the stack output)');
    const standings = await readPromotionStandings({
      repo: checkoutRepo(dir),
      items: new VersionedItems(table),
      now: () => new Date(),
      ...(options.scans ? { describeScan: (r: string, d: string) => describeScanFindings(r, d) } : {}),
    });
    if (!standings) throw new Error(`${join(dir, PROMOTIONS_FILE)} does not exist. Is ${dir} a config repo checkout?`);
    console.log(options.output === 'json' ? JSON.stringify(standings, null, 2) : table_(standings));
    return 0;
  } catch (e) {
    console.error(`tidemark: ${(e as Error).message}`);
    return 2;
  }
}

/** The two files the standings read, from a checkout on disk (at its HEAD commit, as far as git knows it). */
export function checkoutRepo(dir: string): ConfigRepo {
  const refuse = () => {
    throw new Error('tidemark promotions only reads');
  };
  return {
    url: dir,
    defaultBranch: 'HEAD',
    read: async (paths): Promise<HeadFiles> => {
      const files = new Map<string, string>();
      for (const path of paths.filter((p) => p === IMAGE_POLICY_FILE || p === PROMOTIONS_FILE)) {
        try {
          files.set(path, readFileSync(join(dir, path), 'utf8'));
        } catch {
          // absent: the standings say so
        }
      }
      let head = 'working-tree';
      try {
        head = execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] })
          .toString()
          .trim();
      } catch {
        // not a git checkout
      }
      return { branch: 'HEAD', head, files };
    },
    commit: refuse,
    pullRequest: refuse,
  };
}

/** `PIPELINE STAGE POLICY CANDIDATE STATE HELD-BY`, one line per candidate, like `flux get`. */
function table_(standings: PromotionStandings): string {
  const rows: string[][] = [['PIPELINE', 'STAGE', 'FROM', 'POLICY', 'CANDIDATE', 'STATE', 'WHY']];
  for (const p of standings.pipelines) {
    for (const stage of p.stages) {
      for (const c of stage.candidates)
        rows.push([p.name, stage.name, c.from, c.policy, candidateText(c), c.state, why(c)]);
    }
  }
  if (rows.length === 1) return 'no promoted stages';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '))
    .join('\n');
}

function candidateText(c: CandidateStanding): string {
  if (!c.candidate) return '-';
  return `${c.candidate.tag ?? ''}@${c.candidate.digest.slice(0, 19)}`;
}

function why(c: CandidateStanding): string {
  if (c.heldBy) return `${c.heldBy.gate}: ${c.heldBy.reason}`;
  if (c.state === 'promoted' && c.lastPromotion)
    return `in ${c.stage} since ${c.lastPromotion.at} (${c.lastPromotion.sha.slice(0, 7)})`;
  return c.state === 'ready' ? 'every gate open; the promoter writes it next' : '';
}
