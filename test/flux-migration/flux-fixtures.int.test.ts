import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GitConfigRepo } from '../../adapters/config-repo/git';
import { updateImages } from '../../functions/image-updater/update-images';
import { createConfigRepo } from '../support/config-repo';
import { localEnv } from '../support/local-env';
import { differences, FLUX_FIXTURES, type FluxFixture, fixtureTree, treeOf } from './flux-fixtures';

// Flux's own setter fixtures through the Lambda's path: a config repo on the real local git server built from the
// fixture's original tree (its symlink committed as a symlink), `updateImages` with the images the policies selected,
// and the branch's tree afterwards compared with Flux's expected tree. Both git transports: the git CLI, and
// isomorphic-git, which the Lambda runtime uses.

async function configRepoOf(fixture: FluxFixture) {
  const files: Record<string, string> = { '.tidemark/images.yaml': fixture.policies };
  const links: [string, string][] = [];
  for (const [path, entry] of fixtureTree(fixture, 'original')) {
    if (entry.kind === 'file') files[path] = entry.bytes.toString('utf8');
    else links.push([path, entry.target]);
  }
  const remote = await createConfigRepo(`flux-${fixture.name.replace(/\W+/g, '-')}`, files);
  if (links.length > 0) {
    const work = mkdtempSync(join(tmpdir(), 'tidemark-flux-links-'));
    remote.git(work, 'clone', '--quiet', remote.url, 'repo');
    const dir = join(work, 'repo');
    for (const [path, target] of links) symlinkSync(target, join(dir, path));
    remote.git(dir, 'add', '-A');
    remote.git(dir, 'commit', '--quiet', '-m', 'the fixture’s symlinks');
    remote.git(dir, 'push', '--quiet', 'origin', 'HEAD:main');
  }
  return remote;
}

/** The branch's tree after the update, as a fresh clone has it. */
function treeAfter(remote: Awaited<ReturnType<typeof createConfigRepo>>) {
  const work = mkdtempSync(join(tmpdir(), 'tidemark-flux-after-'));
  remote.git(work, 'clone', '--quiet', remote.url, 'repo');
  return treeOf(join(work, 'repo'));
}

const transport = process.env.TIDEMARK_GIT_TRANSPORT;
afterEach(() => {
  if (transport === undefined) delete process.env.TIDEMARK_GIT_TRANSPORT;
  else process.env.TIDEMARK_GIT_TRANSPORT = transport;
});

describe.each(['cli', 'isomorphic'])('a Flux config repo through the image updater (git %s)', (gitTransport) => {
  async function open(url: string) {
    process.env.TIDEMARK_GIT_TRANSPORT = gitTransport; // read when the mirror is opened
    const { username, password } = localEnv().git;
    return GitConfigRepo.open({
      url,
      branch: 'main',
      credentials: { username, password },
      cacheDir: mkdtempSync(join(tmpdir(), 'tidemark-flux-cache-')),
    });
  }

  it.each(FLUX_FIXTURES)('$name: the tree Flux expects', async (fixture) => {
    const remote = await configRepoOf(fixture);
    const result = await updateImages(fixture.pushes, { repo: await open(remote.url) });
    expect(result.kind).toBe(fixture.name === 'leave' ? 'unchanged' : 'updated');
    expect(differences(fixture, treeAfter(remote))).toEqual([]);
    if (fixture.name === 'setters') {
      expect(result.unread).toEqual([{ path: 'test.yaml', reason: expect.stringMatching(/^is a symbolic link/) }]);
    }
  });
});
