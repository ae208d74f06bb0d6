import type { PolicyUpdate } from '../../core/images/plan-image-update';
import type { CandidateStanding } from '../../core/promotion/standing';

/**
 * The commit message and pull-request text of a promotion: what moved, and the evidence each gate passed on, so the
 * history of the stage's branch is its audit trail (who proved this digest, for how long, what the scan found, inside
 * which window). Trailers tie the commit to the pipeline, the digest and the upstream revision for tools.
 *
 * @example
 * Promote web-prod to 1.2.0 (dev → prod)
 *
 * clusters/prod/web/deployment.yaml:21 …/web:1.1.0@sha256:… → …/web:1.2.0@sha256:…
 *
 * Evidence for web-prod (1.2.0@sha256:…):
 * - upstream: 1.2.0@sha256:… deployed in dev at 2026-12-02T10:00:00Z (revision 1a2b3c4)
 * - soak: healthy in dev for 30m (soak 30m)
 * - scan: findings HIGH 1, within the thresholds
 *
 * Tidemark-Pipeline: web
 * Tidemark-Stage: prod
 * Tidemark-Policy: web-prod
 * Tidemark-Image-Digest: sha256:…
 * Tidemark-Upstream-Revision: 1a2b3c4…
 */
export function promotionDescriber(standings: ReadonlyMap<string, CandidateStanding>) {
  const standingOf = (u: PolicyUpdate) => standings.get(u.policy.name);
  const subject = (updates: readonly PolicyUpdate[]) => {
    const first = standingOf(updates[0]!);
    const route = first ? ` (${first.from} → ${first.stage})` : '';
    return `Promote ${updates.map((u) => `${u.policy.name} to ${u.push.tag}`).join(', ')}${route}`;
  };
  const evidence = (updates: readonly PolicyUpdate[], bullet: string) =>
    updates.flatMap((u) => {
      const s = standingOf(u);
      if (!s) return [];
      return [
        `Evidence for ${u.policy.name} (${u.push.tag}@${u.push.digest}):`,
        ...s.gates.map((g) => `${bullet}${g.gate}: ${g.reason}`),
        '',
      ];
    });
  return {
    commitMessage(updates: readonly PolicyUpdate[]): string {
      const lines = updates.flatMap((u) => u.changes.map((c) => `${c.file}:${c.line} ${c.from} → ${c.to}`));
      const trailers = updates.flatMap((u) => {
        const s = standingOf(u);
        return [
          ...(s ? [`Tidemark-Pipeline: ${s.pipeline}`, `Tidemark-Stage: ${s.stage}`] : []),
          `Tidemark-Policy: ${u.policy.name}`,
          ...(u.push.digest ? [`Tidemark-Image-Digest: ${u.push.digest}`] : []),
          ...(s?.candidate?.revision ? [`Tidemark-Upstream-Revision: ${s.candidate.revision}`] : []),
        ];
      });
      return `${subject(updates)}\n\n${lines.join('\n')}\n\n${evidence(updates, '- ').join('\n')}\n${trailers.join('\n')}\n`;
    },
    pullRequestText(updates: readonly PolicyUpdate[]): { title: string; body: string } {
      const body = [
        `Tidemark promotes what the previous stage proved. Merge to let it in.`,
        '',
        '| file | from | to |',
        '| --- | --- | --- |',
        ...updates.flatMap((u) => u.changes).map((c) => `| \`${c.file}:${c.line}\` | \`${c.from}\` | \`${c.to}\` |`),
        '',
        ...evidence(updates, '- '),
        'A newer candidate that passes every gate updates this pull request instead of opening another.',
      ].join('\n');
      return { title: subject(updates), body };
    },
  };
}
