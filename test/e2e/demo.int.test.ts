import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { runDemo } from '../../local/demo/run-demo';
import { eventually } from '../support/eventually';
import { gitAuthHeader } from '../support/git-repo';
import { localEnv } from '../support/local-env';

// `tidemark demo` as a user runs it (README command one), on the environment the suite started: every step must
// happen, and afterwards Git and the cluster must hold what the demo said they hold.

describe('tidemark demo', () => {
  it('runs the whole loop: push → commit → apply → hand change → alert → heal → resolved', async () => {
    const lines: string[] = [];
    const result = await runDemo({ keep: false, say: (line) => lines.push(line) });

    expect(result.error).toBeUndefined();
    expect(result.timeline.events.map((e) => e.step)).toEqual([
      'environment',
      'sync-ready',
      'image-pushed',
      'commit-made',
      'webhook-delivered',
      'rollout-applied',
      'rollout-ready',
      'hand-change',
      'drift-alerted',
      'self-heal-enabled',
      'drift-healed',
      'drift-resolved',
      'settled',
      'deployed-notified',
      'broken-commit',
      'failure-alerted',
      'fix-commit',
      'recovered-notified',
      'fix-deployed',
    ]);
    expect(result.timeline.latencies().map((l) => l.name)).toContain('commit → deployed message');
    expect(result.timeline.latencies().map((l) => l.name)).toContain('push → applied');

    // The alert named the drifted fields and who changed them.
    const narration = lines.join('\n');
    expect(narration).toMatch(/spec\.replicas 2 → 5 by kubectl/);
    expect(narration).toMatch(/LOG_LEVEL.*info → debug by kubectl-set/);
    // The broken commit's alert named the file and line; the fix was announced recovered, then deployed once.
    expect(narration).toMatch(
      /failure alert on Slack and SNS: Tidemark: dev: tidemark-demo\/dev failed \(RenderFailed\) \(clusters\/dev\/web\/deployment\.yaml, line \d+\)/,
    );
    expect(narration).toMatch(
      /✅ dev: tidemark-demo\/dev recovered, then 🚀 dev: tidemark-demo\/dev deployed \w+: Fix the typo in web \(once\)/,
    );

    // Git: the commit moved only the tag, and kept the setter comment on the line.
    const env = localEnv();
    const repoUrl = narration.match(/Sync tidemark-demo\/dev → (\S+) clusters\/dev/)?.[1];
    expect(repoUrl).toBeDefined();
    const clone = mkdtempSync(join(tmpdir(), 'tidemark-demo-test-'));
    execFileSync('git', [
      '-c',
      `http.extraHeader=Authorization: ${gitAuthHeader()}`,
      'clone',
      '--quiet',
      '--depth=1',
      repoUrl!,
      clone,
    ]);
    const file = readFileSync(join(clone, 'clusters/dev/web/deployment.yaml'), 'utf8');
    rmSync(clone, { recursive: true, force: true });
    expect(file).toContain('image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.1.0 # {"tidemark": "web"}');

    // The cluster: the new tag runs, the hand change is gone, and the Sync is Ready at the branch head.
    const cluster = ClusterClient.fromKubeconfig(env.kube.kubeconfigPath);
    const web = (await cluster.get({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'shop-dev',
      name: 'web',
    })) as unknown as {
      spec: {
        replicas: number;
        template: { spec: { containers: { image: string; env: { name: string; value: string }[] }[] } };
      };
    };
    expect(web.spec.replicas).toBe(2);
    expect(web.spec.template.spec.containers[0]!.image).toMatch(/:1\.1\.0$/);
    expect(web.spec.template.spec.containers[0]!.env).toContainEqual({ name: 'LOG_LEVEL', value: 'info' });
    const head = execFileSync('git', [
      '-c',
      `http.extraHeader=Authorization: ${gitAuthHeader()}`,
      'ls-remote',
      repoUrl!,
      'refs/heads/main',
    ])
      .toString()
      .split(/\s/)[0];
    const settled = await eventually(async () => {
      const sync = (await cluster.get({
        apiVersion: 'tidemark.dev/v1alpha1',
        kind: 'Sync',
        namespace: 'tidemark-demo',
        name: 'dev',
      })) as unknown as {
        status: { lastAppliedRevision: string; conditions: { type: string; status: string }[] };
      };
      const isReady = sync.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True');
      return isReady ? sync.status : undefined;
    });
    expect(settled.lastAppliedRevision).toBe(head);
  }, 240_000);
});
