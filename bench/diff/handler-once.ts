import { lambdaContext, scheduledEvent } from '../../local/invoke';

/**
 * The drift-scanner Lambda handler, invoked twice in one process as a warm Lambda container would be (the second scan
 * reuses the rendered revision and the DynamoDB drift cache). Prints each scan's time and result, and the process's
 * peak RSS, as JSON. The environment (TIDEMARK_CONFIG, table, topic, AWS endpoint, KUBECONFIG) comes from the caller.
 * Run bundled, so the RSS is the handler's own.
 */
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
const { handler } = await import('../../functions/drift-scanner/handler');
const scans = [];
for (let i = 0; i < 2; i++) {
  const started = performance.now();
  const { clusters } = await handler(
    scheduledEvent('arn:aws:scheduler:us-east-1:123456789012:schedule/default/drift'),
    lambdaContext('drift-scanner'),
  );
  const [c] = clusters;
  scans.push({
    ms: performance.now() - started,
    outcome: c?.outcome.kind,
    findings: c?.outcome.kind === 'scanned' ? c.outcome.report.findings.length : c?.outcome.message,
    stats: c?.stats,
  });
}
console.log(JSON.stringify({ scans, maxRssKb: process.resourceUsage().maxRSS }));
