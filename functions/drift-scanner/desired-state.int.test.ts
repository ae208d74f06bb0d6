import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
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

  it('fetches remote kustomize resources for a folder whose Sync opted in (spec.remoteResources), as the agent does', async () => {
    let requests = 0;
    const server = createServer((_req, res) => {
      requests++;
      res.end(stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fetched' }, data: { a: '1' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/cm.yaml`;
      const repo = await createGitRepo('scanner-remote', {
        'clusters/remote/kustomization.yaml': stringify({ resources: [url] }),
      });
      const { username, password } = localEnv().git;
      const source = await DesiredStateSource.open({
        url: repo.url,
        branch: 'main',
        credentials: async () => ({ username, password }),
        workDir: mkdtempSync(join(tmpdir(), 'scanner-remote-')),
      });
      const head = await source.head();
      const dir = join(head.dir, 'clusters/remote');
      await expect(head.render(dir)).rejects.toThrow(`names the remote resource '${url}'`);
      expect(requests).toBe(0);
      const objects = await head.render(dir, { remoteResources: true });
      expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['ConfigMap/fetched']);
      expect(requests).toBeGreaterThan(0);
    } finally {
      server.close();
    }
  });
});
