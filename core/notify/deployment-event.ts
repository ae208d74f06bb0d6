import { createHash } from 'node:crypto';
import * as z from '../zod';
import { publicUrl, redactSecrets } from './redact';

/**
 * A deployment event: what the agent publishes to its cluster's events queue when a Sync's outcome changes
 * (DESIGN.md, "Deployment events"), what the notifier consumes, and the `detail` of the `Tidemark Deployment` event on
 * the default EventBridge bus. This schema is the one definition of it; functions/notifier/README.md documents it for
 * consumers (the promoter, the UI, users' own automation).
 *
 * - `deployed`: a new revision was applied and every object is healthy (once per revision).
 * - `failed`: the reconcile failed: fetch, render, apply, prune refused or failed, an invalid spec (`reason` says which).
 * - `degraded`: the revision was applied, then its objects' health went bad (a rollout past its deadline, a failed Job).
 * - `recovered`: healthy again after `failed` or `degraded`; `previous` says what it recovered from.
 * - `healed`: self-heal reverted a change made outside Git; `heal` says to what and by whom.
 * - `suspended` / `resumed`: `spec.suspend` was set / cleared.
 *
 * Every text field is passed through {@link redactSecrets} when parsed, so a credential quoted by an error message never
 * leaves the agent, and is cut to a length that fits Slack, SNS and GitHub. Unknown fields are dropped (a newer agent may
 * add some); `version` changes only for a change that is not additive.
 */
export const deploymentEventKinds = [
  'deployed',
  'failed',
  'degraded',
  'recovered',
  'healed',
  'suspended',
  'resumed',
] as const;
export type DeploymentEventKind = (typeof deploymentEventKinds)[number];

/** The version of this schema, carried by every event. */
export const deploymentEventVersion = 1;

const text = (max: number) =>
  z.pipe(
    z.string(),
    z.transform((s: string) => cut(redactSecrets(s), max)),
  );
const kubeName = z.string().check(z.regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'is not a Kubernetes object name'));
const sha = z.string().check(z.regex(/^([0-9a-f]{40}|[0-9a-f]{64})$/, 'is not a full commit sha'));
const count = z.number().check(z.int(), z.gte(0));

export const DeploymentEventSchema = z.object({
  version: z.literal(deploymentEventVersion),
  /** Unique per emission ({@link deploymentEventId}); a retried send keeps it, so consumers can drop repeats. */
  id: z.string().check(z.regex(/^[0-9a-f]{32}$/, 'is not an event id (32 hex characters)')),
  /** When the agent observed the transition (ISO 8601, UTC). */
  at: z.iso.datetime({ offset: true }),
  /** Tidemark's name of the cluster (`clusters[].name`). */
  cluster: z.string().check(z.regex(/^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/, 'is not a cluster name')),
  sync: z.object({ namespace: kubeName, name: kubeName }),
  /** The config repository, without credentials. */
  repo: z.pipe(z.url(), z.transform(publicUrl)),
  /** The commit the event is about; absent when the agent could not learn one (the fetch failed). */
  revision: z.optional(sha),
  /** The commit's subject line. */
  subject: z._default(text(200), ''),
  kind: z.enum(deploymentEventKinds),
  /** A CamelCase reason, as on the Sync's Ready condition: `ReconciliationSucceeded`, `RenderFailed`, `Healed`… */
  reason: z.string().check(z.regex(/^[A-Z][A-Za-z0-9]{0,63}$/, 'is not a CamelCase reason')),
  /** What happened, for people: the Ready message, naming objects, files and the fix. */
  message: z._default(text(2000), ''),
  /** The images the applied objects run, with the digest when it is known (pinned in Git, or reported by the Pod). */
  images: z._default(
    z
      .array(
        z.object({
          name: z.string().check(z.maxLength(512)),
          digest: z.nullable(z.string().check(z.regex(/^sha256:[0-9a-f]{64}$/))),
        }),
      )
      .check(z.maxLength(50)),
    [],
  ),
  health: z._default(
    z.object({ current: count, inProgress: count, failed: count, notReady: z.array(text(300)).check(z.maxLength(10)) }),
    { current: 0, inProgress: 0, failed: 0, notReady: [] },
  ),
  /** What the reconcile changed, for `deployed`: a revision that changed nothing in this Sync is not announced in chat. */
  changes: z.optional(z.object({ created: count, configured: count, deleted: count })),
  /** Where in Git a `failed` comes from, when the error names it (a render error: the file and line). */
  location: z.optional(z.object({ file: text(300), line: z.optional(z.number().check(z.int(), z.positive())) })),
  /** For `healed`: the object put back and the field manager whose change was reverted (`deleted` if it was deleted). */
  heal: z.optional(z.object({ object: text(300), changedBy: text(200) })),
  /** For `recovered`: the failure that cleared. */
  previous: z.optional(
    z.object({
      kind: z.enum(['failed', 'degraded']),
      reason: z.string().check(z.regex(/^[A-Z][A-Za-z0-9]{0,63}$/)),
      revision: z.optional(sha),
      since: z.iso.datetime({ offset: true }),
    }),
  ),
});

export type DeploymentEvent = z.output<typeof DeploymentEventSchema>;
/** An event before parsing: what the agent builds. `version`, `id` and the defaults are filled in by {@link deploymentEvent}. */
export type DeploymentEventInput = Omit<z.input<typeof DeploymentEventSchema>, 'version' | 'id'>;

/** How bad an event is, for routing (`minSeverity`): a failure is an error, a surprise is a warning, the rest info. */
export type Severity = 'info' | 'warning' | 'error';
export const severities: readonly Severity[] = ['info', 'warning', 'error'];

export function severityOf(kind: DeploymentEventKind): Severity {
  switch (kind) {
    case 'failed':
      return 'error';
    case 'degraded':
    case 'healed':
    case 'suspended':
      return 'warning';
    case 'deployed':
    case 'recovered':
    case 'resumed':
      return 'info';
  }
}

/**
 * A valid event from what the agent observed: fills in `version` and `id`, redacts and cuts the text fields.
 * @throws z.core.$ZodError naming the field when the input is not an event (a bug in the caller).
 * @example
 * deploymentEvent({ at: new Date().toISOString(), cluster: 'prod', sync: { namespace: 'tidemark-system', name: 'prod' },
 *   repo: 'https://github.com/acme/config.git', revision: 'a'.repeat(40), kind: 'deployed', reason: 'ReconciliationSucceeded' });
 */
export function deploymentEvent(input: DeploymentEventInput): DeploymentEvent {
  return DeploymentEventSchema.parse({ ...input, version: deploymentEventVersion, id: deploymentEventId(input) });
}

/** A malformed event: the notifier sends it to the dead-letter queue with this reason. */
export class MalformedDeploymentEvent extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MalformedDeploymentEvent';
  }
}

/** Parses an event from a queue message body, or throws {@link MalformedDeploymentEvent} naming the first bad field. */
export function parseDeploymentEvent(body: string): DeploymentEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (error) {
    throw new MalformedDeploymentEvent('the message body is not JSON. Send a deployment event as JSON', {
      cause: error,
    });
  }
  const parsed = DeploymentEventSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.join('.') || '(top level)';
  throw new MalformedDeploymentEvent(
    `not a deployment event: ${field}: ${issue.message}. See functions/notifier/README.md for the schema`,
    { cause: parsed.error },
  );
}

/**
 * The id of one emission: a hash of what it is about and when it was observed. Deterministic, so a publisher that
 * retries sends the same id; the time makes two observations of the same transition (an agent restarted mid-way)
 * different emissions, which the notifier's transition state then tells apart.
 */
export function deploymentEventId(
  e: Pick<DeploymentEventInput, 'at' | 'cluster' | 'sync' | 'kind' | 'revision' | 'reason' | 'heal'>,
): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        e.cluster,
        e.sync.namespace,
        e.sync.name,
        e.kind,
        e.revision ?? '',
        e.reason,
        e.heal?.object ?? '',
        e.at,
      ]),
    )
    .digest('hex')
    .slice(0, 32);
}

/** `namespace/name`: how a Sync is named in messages and in the notifier's keys. */
export function syncName(sync: { namespace: string; name: string }): string {
  return `${sync.namespace}/${sync.name}`;
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
