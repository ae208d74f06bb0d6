import * as z from '../../core/zod';

/**
 * The message on a cluster's sync queue: "the config repo moved; reconcile the Syncs that follow this repo and branch
 * now instead of at the next poll". Sent by the webhook Lambda after a verified push and by the image updater right
 * after its own commit; read by the agent's sync-queue listener.
 *
 * It carries no manifests and no credentials: the agent still pulls the revision from Git itself, so a forged message
 * can at worst cause an early reconcile of what Git already says (the pull model stays intact).
 */
export const SyncRequest = z.object({
  /** Clone URL of the config repo, as in the Sync's `spec.repo` (compared as core/config/repo-url.ts says). */
  repo: z.string().check(z.minLength(1)),
  /** Branch that moved, without `refs/heads/`. */
  branch: z.string().check(z.minLength(1)),
  /** Commit SHA the branch now points at. */
  revision: z.string().check(z.regex(/^[0-9a-f]{7,64}$/, 'must be a hex commit SHA')),
  /** When the commit was pushed (ISO 8601); lets the agent report push→applied latency. */
  pushedAt: z.iso.datetime({ offset: true }),
  /** Identity of the event that caused the request: the webhook delivery id, or `image-updater:<sha>`. */
  deliveryId: z.string().check(z.minLength(1), z.maxLength(200)),
});
export type SyncRequest = z.infer<typeof SyncRequest>;
