import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createGitRepo } from '../../test/support/git-repo';
import { localEnv } from '../../test/support/local-env';
import { DesiredStateSource } from './desired-state';

// The drift scanner's renderer reads what the agent's does, and no more: nothing outside the checkout, no URL. The
// git server is the real local one; the "outside" is a folder of this machine's disk.
const outside = mkdtempSync(join(tmpdir(), 'outside-checkout-'));
writeFileSync(
  join(outside, 'stolen.yaml'),
  stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 's' } }),
);
afterAll(() => rmSync(outside, { recursive: true, force: true }));

describe('the drift scanner’s desired state', () => {
  it('refuses a cluster folder that is a symbolic link out of the checkout, and remote kustomize resources', async () => {
    const repo = await createGitRepo('scanner-reach', {
      'clusters/remote/kustomization.yaml': stringify({ resources: ['https://example.com/cm.yaml'] }),
    });
    const work = mkdtempSync(join(tmpdir(), 'scanner-links-'));
    try {
      repo.git(work, 'clone', '--quiet', repo.url, '.');
      mkdirSync(join(work, 'clusters'), { recursive: true });
      symlinkSync(outside, join(work, 'clusters/dev'));
      repo.git(work, 'add', '-A');
      repo.git(work, 'commit', '--quiet', '-m', 'link');
      repo.git(work, 'push', '--quiet', 'origin', 'HEAD:main');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    const { username, password } = localEnv().git;
    const source = await DesiredStateSource.open({
      url: repo.url,
      branch: 'main',
      credentials: async () => ({ username, password }),
      workDir: mkdtempSync(join(tmpdir(), 'scanner-reach-')),
    });
    const head = await source.head();
    await expect(head.render(join(head.dir, 'clusters/dev'))).rejects.toThrow(
      'clusters/dev: leads outside the repository through a symbolic link',
    );
    await expect(head.render(join(head.dir, 'clusters/remote'))).rejects.toThrow(
      "names the remote resource 'https://example.com/cm.yaml'",
    );
  });
});
