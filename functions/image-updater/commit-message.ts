import type { PolicyUpdate } from '../../core/images/plan-image-update';

/**
 * The commit message of an image update: a subject, one line per change as `file:line old → new`, and trailers
 * that tie the commit to the ECR event and image digest for the audit trail.
 *
 * @example
 * Update web to 1.0.1
 *
 * clusters/dev/web/deployment.yaml:21 …/web:1.0.0 → …/web:1.0.1
 *
 * Tidemark-Policy: web
 * Tidemark-Event-Id: 6a7e8feb-b491-4cf7-a9f1-bf3703467718
 * Tidemark-Image-Digest: sha256:…
 */
export function commitMessage(updates: readonly PolicyUpdate[]): string {
  const subject = `Update ${updates.map((u) => `${u.policy.name} to ${u.push.tag}`).join(', ')}`;
  const lines = updates.flatMap((u) => u.changes.map((c) => `${c.file}:${c.line} ${c.from} → ${c.to}`));
  const trailers = updates.flatMap((u) => [
    `Tidemark-Policy: ${u.policy.name}`,
    ...(u.push.eventId ? [`Tidemark-Event-Id: ${u.push.eventId}`] : []),
    ...(u.push.digest ? [`Tidemark-Image-Digest: ${u.push.digest}`] : []),
  ]);
  return `${subject}\n\n${lines.join('\n')}\n\n${trailers.join('\n')}\n`;
}

/**
 * Title and body of the pull request for a policy's update (or the updates of the policies that share its branch).
 */
export function pullRequestText(update: PolicyUpdate | readonly PolicyUpdate[]): { title: string; body: string } {
  const updates: readonly PolicyUpdate[] = Array.isArray(update) ? update : [update as PolicyUpdate];
  const title = `Update ${updates.map((u) => `${u.policy.name} to ${u.push.tag}`).join(', ')}`;
  const body = [
    ...updates.map(
      ({ policy, push }) =>
        `Tidemark moves \`${policy.repository}\` to \`${push.tag}\`${push.digest ? ` (\`${push.digest}\`)` : ''}, as policy \`${policy.name}\` allows.`,
    ),
    '',
    '| file | from | to |',
    '| --- | --- | --- |',
    ...updates.flatMap((u) => u.changes).map((c) => `| \`${c.file}:${c.line}\` | \`${c.from}\` | \`${c.to}\` |`),
    '',
    'A newer eligible push updates this pull request instead of opening another.',
  ].join('\n');
  return { title, body };
}
