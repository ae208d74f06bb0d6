/**
 * The ownership marker of a role or database: its COMMENT, `managed-by=tidemark owner=<ownerId>` and, on a role,
 * `password-version=<version>` (the Secrets Manager version last set, so a rotation is seen without reading the
 * password). A comment is what PostgreSQL offers every object, survives dumps and restores, and shows in `\du+` and
 * `\l+`, so a person sees why the role must not be edited by hand. A comment in any other form is not a marker.
 */
export interface OwnershipComment {
  owner: string;
  passwordVersion?: string;
}

export function commentOf(marker: OwnershipComment): string {
  return `managed-by=tidemark owner=${marker.owner}${marker.passwordVersion ? ` password-version=${marker.passwordVersion}` : ''}`;
}

export function parseComment(comment: string | null | undefined): OwnershipComment | undefined {
  const match = /^managed-by=tidemark owner=([a-z0-9._-]+)(?: password-version=([\w-]+))?$/.exec(comment ?? '');
  if (!match) return undefined;
  return { owner: match[1]!, ...(match[2] ? { passwordVersion: match[2] } : {}) };
}
