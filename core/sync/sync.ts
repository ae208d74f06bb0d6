import { z } from 'zod';
import type { KubeObject } from './kube-object';
import type { SyncStatus } from './sync-status';

/** The Sync custom resource (CRD `syncs.tidemark.dev`, shipped in `agent/deploy/crd.yaml`). */
export const syncApiVersion = 'tidemark.dev/v1alpha1';
export const syncKind = 'Sync';

/**
 * The spec, with the defaults the issue and the CRD declare. Parsed with zod so a Sync written by hand with a wrong
 * field is reported on its status by name instead of crashing the loop.
 */
export const SyncSpec = z.object({
  /** HTTPS URL of the config repository. */
  url: z.string().min(1),
  branch: z.string().min(1).default('main'),
  /** Folder in the repository to apply. */
  path: z.string().default('.'),
  /** How often to fetch and reconcile, as a Go-style duration (`30s`, `1m`, `1h30m`). */
  interval: z
    .string()
    .default('1m')
    .refine((value) => durationSeconds(value) !== undefined, 'is not a duration such as 30s, 5m or 1h'),
  prune: z.boolean().default(true),
  selfHeal: z.boolean().default(true),
  suspend: z.boolean().default(false),
  /** A Secret in the Sync's namespace with `username` and `password` (or token) for the repository. */
  secretRef: z.object({ name: z.string().min(1) }).optional(),
  maxPrunePercent: z.number().int().min(0).max(100).default(20),
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

/** The spec of a Sync, or a message naming the wrong field and the fix. */
export function parseSyncSpec(sync: SyncObject): { ok: true; spec: SyncSpec } | { ok: false; message: string } {
  const parsed = SyncSpec.safeParse(sync.spec ?? {});
  if (parsed.success) return { ok: true, spec: parsed.data };
  const issue = parsed.error.issues[0];
  const field = ['spec', ...(issue?.path ?? [])].join('.');
  return { ok: false, message: `${field}: ${issue?.message ?? 'invalid'}. Fix the Sync's spec.` };
}
