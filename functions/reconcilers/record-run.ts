import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { isFailure } from '../../core/resources/resources-outcome';
import type { RunFolderResult } from '../../engine/resources/run-folder';

/**
 * What a reconciler run leaves behind in CloudWatch: metrics per folder (run duration, reconcile failures, drift
 * findings, scan errors, alert delivery errors) and one log line that says what happened, an error line when a
 * reconcile did not apply everything or a scan failed.
 */
export function runRecorder(logger: Logger, metrics: Metrics, folder: string) {
  const emit = (metric: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number) => {
    const single = metrics.singleMetric();
    single.addDimension('folder', folder);
    single.addMetric(metric, unit, value);
  };
  return (result: RunFolderResult, durationMs: number): void => {
    emit('RunDuration', MetricUnit.Milliseconds, durationMs);
    const delivery = result.announced?.deliveryErrors ?? [];
    if (result.kind === 'reconciled') {
      const { outcome } = result;
      const failed = 'results' in outcome ? outcome.results.filter(isFailure).length : 1;
      emit('ReconcileFailures', MetricUnit.Count, outcome.kind === 'applied' ? 0 : Math.max(failed, 1));
      const summary = {
        trigger: 'reconcile',
        revision: result.revision,
        outcome: outcome.kind,
        ...('results' in outcome
          ? {
              objects: outcome.results.length,
              failures: outcome.results
                .filter(isFailure)
                .map((r) => `${r.key}: ${r.message ?? r.action}`)
                .slice(0, 10),
            }
          : {}),
        ...(outcome.kind === 'invalid' ? { problems: outcome.problems.slice(0, 10) } : {}),
        ...('message' in outcome ? { reason: outcome.message } : {}),
        alerts: result.announced?.alerts ?? [],
      };
      if (outcome.kind === 'applied') logger.info('reconciled', summary);
      else logger.error('reconcile did not apply everything', summary);
    } else {
      const { outcome } = result;
      const findings = outcome.kind === 'scanned' ? outcome.report.findings.length : 0;
      emit('DriftFindings', MetricUnit.Count, findings);
      emit('ScanErrors', MetricUnit.Count, outcome.kind === 'failed' ? 1 : 0);
      const summary = {
        trigger: 'drift-scan',
        revision: result.revision,
        findings,
        healed: result.healed,
        alerts: result.announced.alerts,
      };
      if (outcome.kind === 'failed') logger.error('drift scan failed', { ...summary, reason: outcome.message });
      else logger.info('drift scan done', { ...summary, fingerprint: outcome.report.fingerprint });
    }
    emit('AlertDeliveryErrors', MetricUnit.Count, delivery.length);
    for (const error of delivery) logger.error('alert delivery failed', { error });
  };
}
