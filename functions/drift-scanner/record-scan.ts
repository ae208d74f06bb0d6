import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ClusterScanResult } from './scan-cluster';

/**
 * One cluster's scan as metrics (per cluster: DriftedObjects, ScanDuration, ScanErrors, which the per-cluster alarm
 * selects by) and a log line.
 */
export function recordScan(result: ClusterScanResult, logger: Logger, metrics: Metrics): void {
  const { cluster, outcome, stats, alerts, deliveryErrors, durationMs } = result;
  // One single-metric per value: a single metric publishes on addMetric and forgets its dimensions, so a second value
  // on the same one would lose `cluster` (which the per-cluster alarm on ScanErrors selects by).
  const emit = (name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number) => {
    const metric = metrics.singleMetric();
    metric.addDimension('cluster', cluster);
    metric.addMetric(name, unit, value);
  };
  const drifted = outcome.kind === 'scanned' ? outcome.report.findings.length : 0;
  emit('DriftedObjects', MetricUnit.Count, drifted);
  emit('ScanDuration', MetricUnit.Milliseconds, durationMs);
  emit('ScanErrors', MetricUnit.Count, (outcome.kind === 'failed' ? 1 : 0) + deliveryErrors.length);
  if (outcome.kind === 'failed') {
    logger.error('drift scan failed', { cluster, reason: outcome.message, alerts });
  } else {
    const { fingerprint, ignoredFields, objectsScanned } = outcome.report;
    logger.info('drift scan done', { cluster, drifted, fingerprint, ignoredFields, objectsScanned, stats, alerts });
  }
  for (const error of deliveryErrors) logger.error('alert delivery failed', { cluster, error });
}
