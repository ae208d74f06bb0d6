import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { SlackWebhook } from '../../adapters/alerts/slack-webhook';
import { GitConfigRepo } from '../../adapters/config-repo/git';
import { CheckoutCache } from '../../adapters/git/checkout-cache';
import { RenderAlertStore } from '../../adapters/state/render-alert-store';
import { renderSlackMessage } from '../../core/alerts/slack-message';
import { createConfigRepo, type TestConfigRepo } from '../../test/support/config-repo';
import { corpusPath } from '../../test/support/corpus';
import { localEnv, uniqueName } from '../../test/support/local-env';
import { type HydratePushDeps, hydratePush } from './hydrate-push';

function corpusFolder(to: string, ...from: string[]): Record<string, string> {
  const root = corpusPath(...from);
  const files: Record<string, string> = {};
  for (const path of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
    if (statSync(join(root, path)).isFile())
      files[`${to}/${relative(root, join(root, path))}`] = readFileSync(join(root, path), 'utf8');
  }
  return files;
}

// The hydrator's push path against the real local git server, moto's DynamoDB (alert state) and the local Slack
// receiver (one of the deployment's alert channels; a path of this file's own on the shared receiver).
describe('hydratePush', () => {
  let remote: TestConfigRepo;
  let deps: HydratePushDeps;
  const slackPath = `/services/T000TEST/B000TEST/${uniqueName('hydrator')}`;
  const slackMessages = async () => {
    const url = `${localEnv().slack.controlUrl}/messages?path=${encodeURIComponent(slackPath)}`;
    return ((await (await fetch(url)).json()) as { body: { text: string } }[]).map((m) => m.body.text);
  };
  const push = (revision = remote.head('main')) =>
    hydratePush(
      {
        kind: 'push',
        repo: remote.url,
        branch: 'main',
        revision,
        pushedAt: new Date().toISOString(),
        deliveryId: `test:${revision}`,
      },
      deps,
    );

  beforeAll(async () => {
    remote = await createConfigRepo('hydrator', {
      ...corpusFolder('apps', 'flux2-kustomize-helm-example', 'apps'),
      '.tidemark/render.yaml':
        'targets:\n  - name: staging\n    source: { kustomize: apps/staging }\n    destination: { branch: rendered/staging }\n  - name: production\n    source: { kustomize: apps/production }\n    destination: { branch: rendered/production }\n',
    });
    const { username, password } = localEnv().git;
    const credentials = { username, password };
    const checkouts = new CheckoutCache(mkdtempSync(join(tmpdir(), 'tidemark-hydrator-')), { keep: 1 });
    const slack = new SlackWebhook(async () => `${localEnv().slack.controlUrl}${slackPath}`);
    deps = {
      repo: await GitConfigRepo.open({
        url: remote.url,
        branch: 'main',
        credentials,
        cacheDir: mkdtempSync(join(tmpdir(), 'tidemark-hydrator-repo-')),
      }),
      repoUrl: remote.url,
      dryBranch: 'main',
      checkout: (branch) => checkouts.fetch(remote.url, branch, credentials),
      // The State table of the local environment; items keyed by repo and target.
      alertState: new RenderAlertStore(localEnv().resources.tableName, remote.url, new DynamoDBClient({})),
      channels: [{ name: 'slack', deliver: async (alert) => void (await slack.post(renderSlackMessage(alert))) }],
    };
  });

  it('renders and commits a push, and ignores a push to another branch', async () => {
    const result = await push();
    expect(result).toMatchObject({ kind: 'hydrated', alerts: [] });
    expect(remote.head('rendered/staging')).not.toBe('');
    expect(
      await hydratePush(
        {
          kind: 'push',
          repo: remote.url,
          branch: 'rendered/staging',
          revision: remote.head('rendered/staging'),
          pushedAt: new Date().toISOString(),
          deliveryId: 'x',
        },
        deps,
      ),
    ).toEqual({
      kind: 'ignored',
      reason: 'push to rendered/staging; only main holds dry sources',
    });
  });

  it('commits nothing for a broken overlay and alerts once with the file, then once when it renders again', async () => {
    const before = remote.head('rendered/staging');
    const good = remote.file('apps/staging/kustomization.yaml')!;
    remote.commit({ 'apps/staging/kustomization.yaml': 'resources:\n  - ../base/nowhere\n' }, 'Break staging');
    const first = await push();
    expect(first).toMatchObject({ kind: 'hydrated', alerts: ['render-failing staging'], deliveryErrors: [] });
    remote.commit({ 'README.md': 'still broken\n' }, 'Another push');
    expect(await push()).toMatchObject({ kind: 'hydrated', alerts: [] });
    expect(remote.head('rendered/staging')).toBe(before);
    const messages = await slackMessages();
    expect(messages).toEqual([
      expect.stringMatching(/^Render failing for target staging: apps\/staging\/kustomization\.yaml: .*nowhere/),
    ]);

    remote.commit({ 'apps/staging/kustomization.yaml': good }, 'Fix staging');
    expect(await push()).toMatchObject({ alerts: ['render-recovered staging'] });
    expect(await slackMessages()).toHaveLength(2);
  });

  it('alerts once, naming file, line and key, when .tidemark/render.yaml itself is broken', async () => {
    remote.commit(
      { '.tidemark/render.yaml': 'targets:\n  - name: staging\n    source: { kustomize: apps/staging }\n' },
      'Break render.yaml',
    );
    const result = await push();
    expect(result).toMatchObject({ kind: 'invalid-render-file', alerts: ['render-failing .tidemark/render.yaml'] });
    expect((result as { message: string }).message).toMatch(
      /^\.tidemark\/render\.yaml:2: targets\[0\]\.destination: is required/,
    );
    expect(await push()).toMatchObject({ kind: 'invalid-render-file', alerts: [] });
  });
});
