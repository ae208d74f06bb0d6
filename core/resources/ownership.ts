import { asksToAdopt, type Declaration } from './declaration';
import type { Observed } from './reconciler';

/**
 * Who may change an object, decided before anything is planned. The marker on the object is compared with this
 * folder's owner id, an id the user chooses once in tidemark.config.yaml (`resources[].ownerId`) and that nothing
 * derives from a name: renaming the stack, the folder entry or the repository keeps it. external-dns derives
 * nothing either, but defaults its owner id to `default` and forgets the old one when the flag changes, so every
 * record it made becomes foreign (kubernetes-sigs/external-dns#2036); here a changed id is handed over only through
 * `adoptOwnerIds`, which names the old id.
 */
export type Ownership =
  | { kind: 'absent' }
  | { kind: 'ours' }
  /** Ours after this apply: its declaration asked to adopt an unmarked object, or its marker is an id we took over. */
  | { kind: 'adopt'; from: string | null }
  /** Never touched: made outside Git, or by another Tidemark deployment. */
  | { kind: 'foreign'; owner: string | null; message: string };

export interface OwnershipPolicy {
  ownerId: string;
  /** Owner ids whose objects this folder takes over (a previous `ownerId`, another deployment handing over). */
  adoptOwnerIds: readonly string[];
}

/** What may be done with the object a declaration names, given the marker `observe` found on it. */
export function ownershipOf(
  observed: Observed<unknown> | undefined,
  declaration: Pick<Declaration, 'annotations'>,
  policy: OwnershipPolicy,
): Ownership {
  if (observed === undefined) return { kind: 'absent' };
  const { owner } = observed;
  if (owner === policy.ownerId) return { kind: 'ours' };
  if (owner !== null && policy.adoptOwnerIds.includes(owner)) return { kind: 'adopt', from: owner };
  if (owner === null && asksToAdopt(declaration)) return { kind: 'adopt', from: null };
  if (owner === null) {
    return {
      kind: 'foreign',
      owner,
      message:
        'exists without Tidemark\'s ownership marker (it was made outside Git), so it is left alone. To manage it from Git, annotate the declaration tidemark.dev/adopt: "true"',
    };
  }
  return {
    kind: 'foreign',
    owner,
    message: `belongs to another Tidemark owner id, '${owner}', so it is left alone. To move it to this folder, add '${owner}' to its adoptOwnerIds in tidemark.config.yaml`,
  };
}

/** The rule an owner id follows: it is written into TXT records, SQL comments and tags, so it stays plain. */
export const ownerIdPattern = /^[a-z0-9][a-z0-9._-]{1,62}$/;
