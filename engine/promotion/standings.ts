import type { ConfigRepo } from '../../adapters/config-repo/config-repo';
import type { PromotionStandings } from '../../core/promotion/standing';
import { type EvaluateDeps, evaluateStages, readPipelines } from './evaluate-stages';

/**
 * Where each candidate stands in each stage of each pipeline, and which gate holds it: the data behind
 * `tidemark promotions` and the UI's Promotions page. Reads the config repo's `.tidemark/promotions.yaml` and the
 * promoter's records in the State table, judged as the promoter judges them (`decideStage`) at `deps.now()`; writes
 * nothing but the scan verdicts it asks ECR for when `describeScan` is given. `undefined` when the config repo has no
 * promotions file.
 *
 * @example
 * const standings = await readPromotionStandings({ repo, items: new VersionedItems(tableName), now: () => new Date() });
 * for (const p of standings?.pipelines ?? []) for (const s of p.stages) console.log(s.name, s.candidates.map((c) => c.state));
 */
export async function readPromotionStandings(
  deps: EvaluateDeps & { repo: ConfigRepo },
): Promise<PromotionStandings | undefined> {
  const read = await readPipelines(deps.repo);
  if (!read) return undefined;
  const evaluations = await evaluateStages(read, deps);
  return {
    at: deps.now().toISOString(),
    revision: read.base.head,
    pipelines: read.pipelines.map((p) => ({
      name: p.name,
      stages: p.stages.map((stage) => ({
        name: stage.name,
        cluster: stage.cluster,
        candidates: evaluations.find((e) => e.pipeline === p.name && e.stage.name === stage.name)?.standings ?? [],
      })),
    })),
  };
}
