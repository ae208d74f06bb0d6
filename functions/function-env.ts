import { ConfigError } from '../core/config/config-error';
import { type DeploymentConfig, deploymentConfigFromEnv } from '../core/config/deployment-config';
import * as z from '../core/zod';

/**
 * The environment every Tidemark Lambda function receives. The CDK stack sets it (infra/), and so does the local
 * runner that invokes the same handlers in `tidemark demo` and the tests. Secrets are never here: only names.
 *
 * | variable | what |
 * | --- | --- |
 * | `TIDEMARK_CONFIG` | JSON of the validated `tidemark.config.yaml` |
 * | `TIDEMARK_TABLE_NAME` | the State table: partition key `id` (S), TTL attribute `expiration` (Powertools' defaults) |
 * | `TIDEMARK_SYNC_QUEUE_URLS` | JSON object: cluster name → URL of that cluster's sync queue |
 * | `TIDEMARK_ALERTS_TOPIC_ARN` | SNS topic for alerts (drift scanner, notifier) |
 * | `TIDEMARK_FLUSH_QUEUE_URL` | the notifier's delay queue for folded messages (notifier only) |
 * | `TIDEMARK_HYDRATE_QUEUE_URL` | the hydrator's FIFO queue, which the webhook sends pushes to (webhook only; absent: nothing is rendered) |
 * | `TIDEMARK_EVENTS_DLQ_URL` | the events queues' dead-letter queue, where the notifier puts a malformed event with its reason (notifier only) |
 * | `TIDEMARK_PROMOTER_QUEUE_URL` | the promoter's own queue, where it asks for delayed wake-ups (promoter only) |
 * | `TIDEMARK_DRIFT_CACHE_KEY_SECRET` | Secrets Manager name or ARN of the key the drift cache's manifest digests are HMACs under (drift scanner only) |
 *
 * Items in the one table are told apart by the prefix of `id`, each built in core/state/state-keys.ts: `drift-alert#…`,
 * `drift-cache#<cluster>…`, `drift-findings#<cluster>`, `resources#<folder>`, `render-alert#<repo>#<target>`,
 * `deploy-sync#…`, `deploy-storm#…`, `deploy-github#…` (functions/notifier/README.md), the promoter's
 * `promote-evidence#…`, `promote-scan#…`, `promote-stage#…` and `promote-wake#…` (engine/promotion/promotion-records.ts),
 * and the claim ledgers' Powertools idempotency records: `webhook-delivery#<hash>`, `webhook-push#<hash>` (a push
 * replayed under a new delivery id), `image-updater#<hash>`. Each function's role may touch only the keys it uses
 * (infra/state.ts).
 */
const FunctionEnvSchema = z.object({
  TIDEMARK_TABLE_NAME: z.string().check(z.minLength(1)),
  TIDEMARK_SYNC_QUEUE_URLS: z.pipe(
    z._default(z.string(), '{}'),
    z.transform((s: string, ctx) => {
      try {
        return z.record(z.string(), z.url()).parse(JSON.parse(s));
      } catch {
        ctx.issues.push({ code: 'custom', message: 'must be a JSON object of cluster name to queue URL', input: s });
        return z.NEVER;
      }
    }),
  ),
  TIDEMARK_ALERTS_TOPIC_ARN: z.optional(z.string()),
  TIDEMARK_FLUSH_QUEUE_URL: z.optional(z.url()),
  TIDEMARK_EVENTS_DLQ_URL: z.optional(z.url()),
  TIDEMARK_PROMOTER_QUEUE_URL: z.optional(z.url()),
  TIDEMARK_DRIFT_CACHE_KEY_SECRET: z.optional(z.string().check(z.minLength(1))),
  TIDEMARK_HYDRATE_QUEUE_URL: z.optional(z.url()),
});

export interface FunctionEnv {
  config: DeploymentConfig;
  tableName: string;
  syncQueueUrls: Record<string, string>;
  alertsTopicArn?: string;
  flushQueueUrl?: string;
  eventsDlqUrl?: string;
  promoterQueueUrl?: string;
  driftCacheKeySecret?: string;
  hydrateQueueUrl?: string;
}

/** Reads and validates the function environment once per container; throws a {@link ConfigError} naming the variable. */
export function functionEnv(env: NodeJS.ProcessEnv = process.env): FunctionEnv {
  const config = deploymentConfigFromEnv(env);
  const parsed = FunctionEnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(
      String(issue.path[0] ?? 'environment'),
      issue.message,
      'The CDK stack sets this variable; redeploy, or export it when running the handler locally',
    );
  }
  return {
    config,
    tableName: parsed.data.TIDEMARK_TABLE_NAME,
    syncQueueUrls: parsed.data.TIDEMARK_SYNC_QUEUE_URLS,
    alertsTopicArn: parsed.data.TIDEMARK_ALERTS_TOPIC_ARN,
    flushQueueUrl: parsed.data.TIDEMARK_FLUSH_QUEUE_URL,
    eventsDlqUrl: parsed.data.TIDEMARK_EVENTS_DLQ_URL,
    promoterQueueUrl: parsed.data.TIDEMARK_PROMOTER_QUEUE_URL,
    driftCacheKeySecret: parsed.data.TIDEMARK_DRIFT_CACHE_KEY_SECRET,
    hydrateQueueUrl: parsed.data.TIDEMARK_HYDRATE_QUEUE_URL,
  };
}
