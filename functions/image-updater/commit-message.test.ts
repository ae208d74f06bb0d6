import { describe, expect, it } from 'vitest';
import type { ImagePolicy } from '../../core/images/image-policy';
import { commitMessage, pullRequestText } from './commit-message';

const policy = (name: string): ImagePolicy => ({
  name,
  repository: 'acme.io/web',
  strategy: { kind: 'semver', range: '^1' },
  digest: 'none',
  paths: ['clusters'],
  writeBack: { kind: 'push' },
  line: 1,
});
const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('commitMessage', () => {
  it('has a subject, one line per change, and audit trailers', () => {
    const message = commitMessage([
      {
        policy: policy('web'),
        push: { repository: 'acme.io/web', tag: '1.2.0', digest: DIGEST, eventId: 'evt-1' },
        changes: [
          { file: 'a.yaml', line: 3, from: 'acme.io/web:1.1.0', to: 'acme.io/web:1.2.0', policy: 'web' },
          { file: 'b/kustomization.yaml', line: 9, from: '1.1.0', to: '1.2.0', policy: 'web' },
        ],
      },
      {
        policy: policy('api'),
        push: { repository: 'acme.io/api', tag: '2.0.1' },
        changes: [{ file: 'c.yaml', line: 1, from: '2.0.0', to: '2.0.1', policy: 'api' }],
      },
    ]);
    expect(message).toBe(
      `Update web to 1.2.0, api to 2.0.1

a.yaml:3 acme.io/web:1.1.0 → acme.io/web:1.2.0
b/kustomization.yaml:9 1.1.0 → 1.2.0
c.yaml:1 2.0.0 → 2.0.1

Tidemark-Policy: web
Tidemark-Event-Id: evt-1
Tidemark-Image-Digest: ${DIGEST}
Tidemark-Policy: api
`,
    );
  });

  it('titles a pull request with the policy and version, and tabulates what moves', () => {
    const { title, body } = pullRequestText({
      policy: policy('web-prod'),
      push: { repository: 'acme.io/web', tag: '1.0.1' },
      changes: [{ file: 'k.yaml', line: 2, from: '1.0.0', to: '1.0.1', policy: 'web-prod' }],
    });
    expect(title).toBe('Update web-prod to 1.0.1');
    expect(body).toContain('| `k.yaml:2` | `1.0.0` | `1.0.1` |');
  });
});
