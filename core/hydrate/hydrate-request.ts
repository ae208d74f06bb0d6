import { z } from 'zod';

const sha = z.string().regex(/^[0-9a-f]{7,64}$/, 'must be a hex commit SHA');
const branch = z.string().min(1).max(255);

/** A push to the dry branch: render every target whose inputs changed, and commit the results. */
export const HydratePush = z.object({
  kind: z.literal('push'),
  repo: z.string().min(1),
  branch,
  revision: sha,
  /** ISO 8601; the bench and the logs report push → rendered commit from it. */
  pushedAt: z.iso.datetime({ offset: true }),
  deliveryId: z.string().min(1).max(200),
});

/** A pull request opened or pushed to: render base and head, and tell the pull request what would change. */
export const HydratePreview = z.object({
  kind: z.literal('preview'),
  repo: z.string().min(1),
  number: z.number().int().positive(),
  base: z.object({ branch, sha }),
  /** `fork` when the head lives in another repository: its branch cannot be fetched from ours. */
  head: z.object({ branch, sha, fork: z.boolean() }),
  deliveryId: z.string().min(1).max(200),
});

/**
 * The message on the hydrator's FIFO queue (one message group per config repo, like the image updater's: writes to one
 * repo are serialised). Sent by the webhook after a verified delivery; it carries no manifests and no credentials, so
 * a forged message can at worst cause a render of what Git already holds.
 */
export const HydrateRequest = z.discriminatedUnion('kind', [HydratePush, HydratePreview]);
export type HydrateRequest = z.infer<typeof HydrateRequest>;
export type HydratePush = z.infer<typeof HydratePush>;
export type HydratePreview = z.infer<typeof HydratePreview>;
