import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ImagePush } from '../../core/images/plan-image-update';
import type { UpdateImagesResult } from './update-images';

/** The image updater's logs and metrics, shared by its two triggers. */
export interface UpdateRecorder {
  readonly logger: Logger;
  /** One `ImageEvents` metric, with what became of an event (or a run) as its `outcome` dimension. */
  count(outcome: string): void;
  /** An update's outcome: a log line per write; Commits, CommitAttempts and push → commit latency per commit. */
  result(result: UpdateImagesResult, pushes: readonly ImagePush[]): void;
}

export function updateRecorder(logger: Logger, metrics: Metrics): UpdateRecorder {
  const count = (outcome: string) =>
    metrics.singleMetric().addDimension('outcome', outcome).addMetric('ImageEvents', MetricUnit.Count, 1);
  return {
    logger,
    count,
    result(result, pushes) {
      count(result.kind);
      for (const write of result.writes) {
        if (write.kind === 'unchanged') {
          logger.info('nothing to change', { target: write.target, skipped: write.skipped });
          continue;
        }
        logger.info(`image update ${write.kind}`, { ...write });
        metrics.addMetric('Commits', MetricUnit.Count, 1);
        metrics.addMetric('CommitAttempts', MetricUnit.Count, write.attempts);
        const oldest = Math.min(...pushes.map((p) => p.pushedAt?.getTime() ?? Number.POSITIVE_INFINITY));
        if (Number.isFinite(oldest)) {
          metrics.addMetric('PushToCommitLatency', MetricUnit.Milliseconds, Date.now() - oldest);
        }
      }
      if (result.kind === 'ignored') {
        logger.info('no policy names the pushed repository', { pushes: pushes.map((p) => p.repository) });
      }
    },
  };
}
