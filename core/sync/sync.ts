import { z } from 'zod';
import { sameRepo } from '../config/repo-url';
import { HelmSource } from '../helm/chart-source';
import { isPlainObject, type KubeObject } from './kube-object';
import { requestedAtAnnotation, type SyncRef } from './ownership';
import type { SyncStatus } from './sync-status';

/** The Sync custom resource (CRD `syncs.tidemark.dev`, shipped in `agent/deploy/crd.yaml`). */
export const syncApiVersion = 'tidemark.dev/v1alpha1';
export const syncKind = 'Sync';

/** The shortest `spec.interval`: a shorter one is a fetch loop, and a push reaches the agent through its queue anyway. */
export const minimumIntervalSeconds = 10;

/** `spec.timeout`'s bounds: a deadline under 5 s fails real fetches, one over an hour is no deadline. */
export const timeoutBoundsSeconds = { min: 5, max: 3600 } as const;

/**
 * Whether a Sync may fetch from `url`: HTTPS, or plain HTTP on a loopback host (the local git server of `tidemark local`
 * and the tests). Not `file://` (the agent's own filesystem: other Syncs' checkouts, its ServiceAccount token), SSH or
 * `git://` (credentials travel only as HTTP basic auth, and git:// has no encryption). The CRD's rule says the same.
 */
export function isRepoUrlAllowed(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === 'https:') return parsed.hostname !== '';
  return parsed.protocol === 'http:' && /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(parsed.hostname);
}

/** Whether a URL carries `user[:password]@` before its host (what the CRD's rule refuses too). */
export function hasUserinfo(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(url);
}

/**
 * The spec, with the defaults the issue and the CRD declare. Parsed with zod so a Sync written by hand with a wrong
 * field is reported on its status by name instead of crashing the loop.
 */
export const SyncSpec = z
  .object({
    /** HTTPS URL of the config repository. */
    url: z
      .string()
      .min(1)
      .refine(isRepoUrlAllowed, 'must be an HTTPS URL (plain http:// only on a loopback host, for a local git server)')
      .refine(
        (url) => !hasUserinfo(url),
        'must not hold credentials (user:password@): they would show in status, Events and logs. Put them in the Secret named by spec.secretRef',
      ),
    branch: z.string().min(1).default('main'),
    /** Folder in the repository to apply. */
    path: z.string().default('.'),
    /** How often to fetch and reconcile, as a Go-style duration (`30s`, `1m`, `1h30m`). */
    interval: z
      .string()
      .default('1m')
      .refine((value) => durationSeconds(value) !== undefined, 'is not a duration such as 30s, 5m or 1h')
      .refine(
        (value) => (durationSeconds(value) ?? minimumIntervalSeconds) >= minimumIntervalSeconds,
        `must be ${minimumIntervalSeconds}s or more, so a Sync cannot fetch in a loop`,
      ),
    /**
     * How long fetching may take, and rendering, each (Flux's `timeout`): a server that accepts the connection and then
     * sends nothing fails the reconcile after this long, saying so, instead of holding it forever.
     */
    timeout: z
      .string()
      .default('3m')
      .refine((value) => durationSeconds(value) !== undefined, 'is not a duration such as 30s, 5m or 1h')
      .refine((value) => {
        const seconds = durationSeconds(value) ?? timeoutBoundsSeconds.min;
        return seconds >= timeoutBoundsSeconds.min && seconds <= timeoutBoundsSeconds.max;
      }, `must be between ${timeoutBoundsSeconds.min}s and 1h`),
    /**
     * Let kustomize fetch the remote resources a kustomization names (URLs, git repositories). Off: anyone who can commit
     * would make the agent fetch any URL from inside the cluster's network.
     */
    remoteResources: z.boolean().default(false),
    prune: z.boolean().default(true),
    selfHeal: z.boolean().default(true),
    suspend: z.boolean().default(false),
    /**
     * The ServiceAccount (in the Sync's namespace) the agent acts as to apply, prune and delete this Sync's objects, as
     * Flux's `serviceAccountName`: a tenant's Sync can do no more than the tenant. Required outside the agent's own
     * namespace.
     */
    serviceAccountName: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be the name of a ServiceAccount in the Sync’s namespace')
      .optional(),
    /** A Secret in the Sync's namespace with `username` and `password` (or token) for the repository. */
    secretRef: z.object({ name: z.string().min(1) }).optional(),
    maxPrunePercent: z.number().int().min(0).max(100).default(20),
    /** A Helm chart to release instead of applying the folder (core/helm/chart-source.ts; agent/README.md). */
    helm: HelmSource.optional(),
    /**
     * Release the folder's Flux `HelmRelease` objects (with their `HelmRepository`/`OCIRepository` sources) as Helm
     * releases, for a Flux config repo moved over unchanged (core/helm/flux-helm-release.ts). Only where Flux's CRDs
     * are not installed: there the objects are Flux's controllers' to act on.
     */
    fluxHelmReleases: z.boolean().default(false),
  })
  .refine((spec) => !(spec.helm && spec.fluxHelmReleases), {
    path: ['fluxHelmReleases'],
    message:
      'cannot be set with helm: a Sync releases either its own chart or the HelmReleases of its folder. Remove one',
  });
export type SyncSpec = z.infer<typeof SyncSpec>;

export interface SyncObject extends KubeObject {
  spec?: unknown;
  status?: SyncStatus;
}

/** Seconds in a Go-style duration (`90s`, `1m30s`, `2h`), or undefined when it is not one. */
export function durationSeconds(value: string): number | undefined {
  const match = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?$/.exec(value);
  if (!match || value === '') return undefined;
  const [, h = '0', m = '0', s = '0'] = match;
  return Number(h) * 3600 + Number(m) * 60 + Number(s);
}

/** A spec that parsed, or the message naming the wrong field and the fix. */
export type ParsedSyncSpec = { ok: true; spec: SyncSpec } | { ok: false; message: string };

/**
 * A Sync as every reader sees it, parsed once per version of the object: the agent's controller (when it observes
 * the object), the sync-queue listener (through the controller), the drift scanner and `syncFindings`.
 */
export interface Sync {
  /** Namespace and name; the namespace is `default` when the object names none. */
  ref: SyncRef;
  generation?: number;
  /** The value of `tidemark.dev/requested-at`: a reconcile asked for by `tidemark reconcile`. */
  requestedAt?: string;
  spec: ParsedSyncSpec;
  /**
   * The source and suspension as written, read even when the rest of the spec does not parse: the drift scanner
   * must still find a broken Sync of its path, to report it stalled, and must skip a suspended one.
   */
  declared: { url?: string; path: string; suspend: boolean };
  status: SyncStatus;
  /** The object as read: Events name its uid and resourceVersion. */
  object: SyncObject;
}

/** Parses a Sync object once; see {@link Sync}. */
export function parseSync(object: KubeObject): Sync {
  const raw = isPlainObject(object.spec) ? object.spec : {};
  return {
    ref: { namespace: object.metadata.namespace ?? 'default', name: object.metadata.name },
    ...(object.metadata.generation === undefined ? {} : { generation: object.metadata.generation }),
    ...(object.metadata.annotations?.[requestedAtAnnotation] === undefined
      ? {}
      : { requestedAt: object.metadata.annotations[requestedAtAnnotation] }),
    spec: parseSyncSpec(object),
    declared: {
      ...(raw.url === undefined ? {} : { url: String(raw.url) }),
      path: String(raw.path ?? '.'),
      suspend: raw.suspend === true,
    },
    status: (isPlainObject(object.status) ? object.status : {}) as SyncStatus,
    object: object as SyncObject,
  };
}

/** Whether a Sync pulls `branch` of the repository `url` names (a push to it concerns the Sync). */
export function pulls(sync: Sync, match: { url: string; branch: string }): boolean {
  return sync.spec.ok && sync.spec.spec.branch === match.branch && sameRepo(sync.spec.spec.url, match.url);
}

/** Whether two folders of a repository are the same: `./clusters/dev/` is `clusters/dev`, and `` or `.` the root. */
export function samePath(a: string, b: string): boolean {
  const normal = (p: string) => p.replace(/^\.\/|\/+$/g, '') || '.';
  return normal(a) === normal(b);
}

/** The spec of a Sync, or a message naming the wrong field and the fix. */
export function parseSyncSpec(sync: SyncObject): ParsedSyncSpec {
  const parsed = SyncSpec.safeParse(sync.spec ?? {});
  if (parsed.success) return { ok: true, spec: parsed.data };
  const issue = parsed.error.issues[0];
  const field = ['spec', ...(issue?.path ?? [])].join('.');
  return { ok: false, message: `${field}: ${issue?.message ?? 'invalid'}. Fix the Sync's spec.` };
}
