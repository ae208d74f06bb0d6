/**
 * The item keys (`id`) of the State table, which every function shares: items are told apart by the prefix of the
 * key, and each kind of key is built here and nowhere else. The stack grants each function the keys it builds and no
 * others (`dynamodb:LeadingKeys`, infra/state.ts), from these same builders: a key built elsewhere would be denied on
 * AWS, and `infra/state-keys.test.ts` checks each function's code against its grant.
 *
 * Every builder also takes `*` for a part, which makes it an IAM `StringLike` pattern of that kind of key
 * (`deploySyncKey('*', '*')` is every Sync's record). Cluster and folder names are DNS labels
 * (core/config/deployment-config.ts), so a real key never holds a wildcard character.
 */

import { createHash } from 'node:crypto';

/**
 * The claim ledgers (adapters/state/claim-ledger.ts): Powertools idempotency records, keyed `<ledger>#<hash of the
 * event>`. Each ledger names its prefix (Powertools' `keyPrefix`), so the key does not depend on the Lambda function's
 * name, which the function's own policy cannot refer to (the role would depend on the function it runs).
 */
export const claimLedgers = {
  /** The image updater's ECR events. */
  imageEvents: 'image-updater',
  /** The webhook's deliveries (`X-GitHub-Delivery`). */
  webhookDeliveries: 'webhook-delivery',
  /** The webhook's pushes (provider, repo, ref, before, after), so a replay under a new delivery id is one push. */
  webhookPushes: 'webhook-push',
} as const;

/** A claim ledger's record, as Powertools builds it from `keyPrefix`. */
export const claimKey = (ledger: string, hash: string) => `${ledger}#${hash}`;

/**
 * What the alert pipeline remembers per target (core/alerts/alert-state.ts): a cluster for the drift scanner,
 * `resources/<folder>` for a reconciler (core/resources/resources-drift.ts `driftTarget`).
 */
export const driftAlertKey = (target: string) => `drift-alert#${target}`;

/** The head of a cluster's drift cache (adapters/state/dynamodb-drift-cache.ts), naming its chunks. */
export const driftCacheKey = (cluster: string) => `drift-cache#${cluster}`;

/** Chunk `n` of a cluster's drift cache. */
export const driftCacheChunkKey = (cluster: string, chunk: number | '*') => `${driftCacheKey(cluster)}#${chunk}`;

/** A cluster's drift findings as its last good scan saw them (adapters/state/drift-findings-store.ts), for `tidemark ui`. */
export const driftFindingsKey = (cluster: string) => `drift-findings#${cluster}`;

/**
 * A render target's alert state (core/hydrate/render-alerts.ts), under a short hash of the config repo URL so two
 * repos' targets of one name never share a state. `target` may be `*`; the URL is always a real one.
 */
export const renderAlertKey = (repoUrl: string, target: string) =>
  `render-alert#${createHash('sha256').update(repoUrl).digest('hex').slice(0, 12)}#${target}`;

/** A resource folder's status and inventory (adapters/resources/dynamodb-status-store.ts). */
export const resourcesStatusKey = (folder: string) => `resources#${folder}`;

/** What the notifier remembers per Sync (core/notify/notify-state.ts); `sync` is `namespace/name`. */
export const deploySyncKey = (cluster: string, sync: string) => `deploy-sync#${cluster}#${sync}`;

/** A storm of failures with one cause (core/notify/notify-state.ts), by a hash of the cause. */
export const deployStormKey = (causeHash: string) => `deploy-storm#${causeHash}`;

/** A revision's GitHub commit status and Deployment in one cluster (core/notify/commit-state.ts). */
export const deployCommitKey = (cluster: string, revision: string) => `deploy-github#${cluster}#${revision}`;

/** The GitHub Deployment environment of a cluster: which Deployment is its current one. */
export const deployEnvironmentKey = (cluster: string) => `deploy-github#${cluster}`;

/** The promoter's evidence per cluster: each Sync's deployed digests and healthy period (engine/promotion). */
export const promoteEvidenceKey = (cluster: string) => `promote-evidence#${cluster}`;

/** ECR's scan verdict for a digest of a repository (lower-case, as ECR names repositories). */
export const promoteScanKey = (repository: string, digest: string) => `promote-scan#${repository}@${digest}`;

/** A promotion stage's ledger: promotions made, one in flight, what was said, the gate statuses. */
export const promoteStageKey = (pipeline: string, stage: string) => `promote-stage#${pipeline}#${stage}`;

/** The promoter's next wake-up on one queue (adapters/events/wake-queue.ts), by a hash of the queue's URL. */
export const promoteWakeKey = (queueHash: string) => `promote-wake#${queueHash}`;
