import { createHash } from 'node:crypto';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { describe, expect, it } from 'vitest';
import type { ConfigRepo } from '../../adapters/config-repo/config-repo';
import { GitConfigRepo } from '../../adapters/config-repo/git';
import { describeImages } from '../../adapters/ecr/ecr-images';
import { createConfigRepo, exampleConfigRepo } from '../../test/support/config-repo';
import { localEnv, uniqueName } from '../../test/support/local-env';
import { readImagePolicies, UpdateGaveUp, updateImages } from './update-images';

// update-images against the real local git server, with another writer pushing to the same branch mid-update.

const WEB = '123456789012.dkr.ecr.us-east-1.amazonaws.com/web';
const REDIS = '123456789012.dkr.ecr.us-east-1.amazonaws.com/redis';

async function open(url: string): Promise<GitConfigRepo> {
  const { username, password } = localEnv().git;
  return GitConfigRepo.open({
    url,
    branch: 'main',
    credentials: { username, password },
    cacheDir: mkdtempSync(join(tmpdir(), 'tidemark-update-images-')),
  });
}

/** A ConfigRepo whose first `n` commits are preceded by a push from someone else, as if they raced us. */
function racedBy(repo: ConfigRepo, otherWriter: (n: number) => void, times: number): ConfigRepo {
  let raced = 0;
  return {
    url: repo.url,
    defaultBranch: repo.defaultBranch,
    read: (...args) => repo.read(...args),
    pullRequest: (spec) => repo.pullRequest(spec),
    commit: (...args) => {
      if (raced < times) otherWriter(++raced);
      return repo.commit(...args);
    },
  };
}

describe('updateImages', () => {
  it('recomputes on the new head when another writer pushed during the update, and keeps their commit', async () => {
    const remote = await createConfigRepo('race', exampleConfigRepo());
    const repo = racedBy(
      await open(remote.url),
      (n) => remote.commit({ [`notes/${n}.md`]: `note ${n}\n` }, `human ${n}`),
      2,
    );
    const result = await updateImages([{ repository: WEB, tag: '1.0.5' }], { repo, backoffMs: 10 });
    expect(result.writes[0]).toMatchObject({ kind: 'committed', branch: 'main', attempts: 3 });
    expect(remote.file('clusters/dev/web/deployment.yaml')).toContain('web:1.0.5');
    const subjects = remote.history().map((c) => c.subject);
    expect(subjects.slice(0, 3)).toEqual(['Update web to 1.0.5', 'human 2', 'human 1']);
    expect(remote.file('notes/1.md')).toBe('note 1\n');
  });

  it('makes nothing when the other writer already made the same change', async () => {
    const remote = await createConfigRepo('race-same', exampleConfigRepo());
    const dev = 'clusters/dev/web/deployment.yaml';
    const moved = exampleConfigRepo()[dev]!.replace('web:1.0.0', 'web:1.1.0');
    const repo = racedBy(await open(remote.url), () => remote.commit({ [dev]: moved }, 'someone else moved web'), 1);
    const result = await updateImages([{ repository: WEB, tag: '1.1.0' }], { repo, backoffMs: 10 });
    expect(result.writes.find((w) => w.kind !== 'pull-request')).toMatchObject({ kind: 'unchanged', target: 'main' });
    expect(remote.history()[0]!.subject).toBe('someone else moved web');
  });

  it('gives up after the bound when the branch keeps moving, without writing anything', async () => {
    const remote = await createConfigRepo('race-forever', exampleConfigRepo());
    const repo = racedBy(await open(remote.url), (n) => remote.commit({ 'churn.txt': `${n}\n` }, `churn ${n}`), 99);
    const failure = updateImages([{ repository: WEB, tag: '1.1.0' }], { repo, backoffMs: 1, maxAttempts: 3 });
    await expect(failure).rejects.toThrow(UpdateGaveUp);
    expect(remote.file('clusters/dev/web/deployment.yaml')).toContain('web:1.0.0');
  });

  it('lands both updates when two updaters write the same branch at once', async () => {
    const files = exampleConfigRepo();
    files['.tidemark/images.yaml'] = `policies:
  - name: web
    repository: ${WEB}
    strategy: { semver: "^1.0.0" }
    update: { paths: [clusters/dev/web] }
  - name: redis
    repository: 123456789012.dkr.ecr.us-east-1.amazonaws.com/redis
    strategy: { semver: "^7.0.0" }
    update: { paths: [clusters/dev/redis.yaml] }
`;
    files['clusters/dev/redis.yaml'] = 'image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/redis:7.0.0\n';
    const remote = await createConfigRepo('two-writers', files);
    const [a, b] = await Promise.all([open(remote.url), open(remote.url)]);
    await Promise.all([
      updateImages([{ repository: WEB, tag: '1.4.0' }], { repo: a, backoffMs: 20 }),
      updateImages([{ repository: '123456789012.dkr.ecr.us-east-1.amazonaws.com/redis', tag: '7.2.0' }], {
        repo: b,
        backoffMs: 20,
      }),
    ]);
    expect(remote.file('clusters/dev/web/deployment.yaml')).toContain('web:1.4.0');
    expect(remote.file('clusters/dev/redis.yaml')).toContain('redis:7.2.0');
  });

  it('updates the pull-request branch of a policy instead of opening another, and never downgrades it', async () => {
    const remote = await createConfigRepo('pull-request', exampleConfigRepo());
    const repo = await open(remote.url);
    for (const tag of ['1.0.1', '1.0.3', '1.0.2']) await updateImages([{ repository: WEB, tag }], { repo });
    expect(remote.file('clusters/prod/kustomization.yaml', 'tidemark/web-prod')).toContain('newTag: 1.0.3');
    expect(remote.history('tidemark/web-prod').filter((c) => c.subject.startsWith('Update web-prod'))).toHaveLength(2);
    expect(remote.file('clusters/prod/kustomization.yaml')).toContain('newTag: 1.0.0');
  });

  it('commits the change of a policy that names the branch and of one that uses the default, in one commit', async () => {
    const files = exampleConfigRepo();
    files['.tidemark/images.yaml'] = `policies:
  - name: web
    repository: ${WEB}
    strategy: { semver: "^1.0.0" }
    update: { paths: [clusters/dev/web] }
    writeBack: { push: { branch: main } }
  - name: redis
    repository: ${REDIS}
    strategy: { semver: "^7.0.0" }
    update: { paths: [clusters/dev/redis.yaml] }
`;
    files['clusters/dev/redis.yaml'] = `image: ${REDIS}:7.0.0\n`;
    const remote = await createConfigRepo('default-branch', files);
    const result = await updateImages(
      [
        { repository: WEB, tag: '1.4.0' },
        { repository: REDIS, tag: '7.2.0' },
      ],
      { repo: await open(remote.url) },
    );
    expect(result.writes).toEqual([expect.objectContaining({ kind: 'committed', branch: 'main', skipped: [] })]);
    expect(result.writes.flatMap((w) => (w.kind === 'unchanged' ? [] : w.changes.map((c) => c.policy)))).toEqual([
      'web',
      'redis',
    ]);
    expect(remote.file('clusters/dev/web/deployment.yaml')).toContain('web:1.4.0');
    expect(remote.file('clusters/dev/redis.yaml')).toBe(`image: ${REDIS}:7.2.0\n`);
    expect(remote.history()[0]!.files).toEqual(['clusters/dev/redis.yaml', 'clusters/dev/web/deployment.yaml']);
  });

  it('plans from policies the caller has read already, without reading the policy file again', async () => {
    const remote = await createConfigRepo('one-read', exampleConfigRepo());
    const repo = await open(remote.url);
    const read = await readImagePolicies(repo);
    const asked: string[] = [];
    const counting: ConfigRepo = {
      url: repo.url,
      defaultBranch: repo.defaultBranch,
      read: (paths, ...rest) => {
        asked.push(...paths);
        return repo.read(paths, ...rest);
      },
      pullRequest: (spec) => repo.pullRequest(spec),
      commit: (...args) => repo.commit(...args),
    };
    const result = await updateImages([{ repository: WEB, tag: '1.0.1' }], { repo: counting }, read);
    expect(result.kind).toBe('updated');
    expect(remote.file('clusters/dev/web/deployment.yaml')).toContain('web:1.0.1');
    expect(asked).not.toContain('.tidemark/images.yaml');
  });

  it('asks ECR before moving a digest that no tag in Git can date, so a late event moves nothing back', async () => {
    const ecr = new ECRClient({});
    const name = uniqueName('digest-only');
    await ecr.send(new CreateRepositoryCommand({ repositoryName: name }));
    for (const [i, tag] of ['1.2.0', '1.3.0'].entries()) {
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { digest: `sha256:${String(i).repeat(64)}`, size: i },
        layers: [],
      });
      const imageDigest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
      await ecr.send(
        new PutImageCommand({ repositoryName: name, imageManifest: manifest, imageTag: tag, imageDigest }),
      );
    }
    const repository = `123456789012.dkr.ecr.us-east-1.amazonaws.com/${name}`;
    const digests = new Map((await describeImages(repository)).map((i) => [i.tag, i.digest!]));
    expect(new Set(digests.values()).size).toBe(2);
    const files = exampleConfigRepo();
    files['.tidemark/images.yaml'] = `policies:
  - name: web
    repository: ${repository}
    fluxImagePolicy: flux-system:web
    strategy: { semver: "^1.0.0" }
    update: { paths: [clusters/dev/digest.yaml] }
`;
    const pinned = (tag: string) => `digest: ${digests.get(tag)} # {"$imagepolicy": "flux-system:web:digest"}\n`;
    files['clusters/dev/digest.yaml'] = pinned('1.3.0');
    const remote = await createConfigRepo('digest-only', files);
    const repo = await open(remote.url);
    const imagesOf = (r: string) => describeImages(r);

    const late = await updateImages([{ repository, tag: '1.2.0', digest: digests.get('1.2.0') }], { repo, imagesOf });
    expect(late.kind).toBe('unchanged');
    expect(late.writes[0]).toMatchObject({
      kind: 'unchanged',
      skipped: [{ policy: 'web', reason: expect.stringContaining(`holds 1.3.0, later than the pushed 1.2.0`) }],
    });
    expect(remote.file('clusters/dev/digest.yaml')).toBe(pinned('1.3.0'));

    remote.commit({ 'clusters/dev/digest.yaml': pinned('1.2.0') }, 'pin the older build');
    const fresh = await updateImages([{ repository, tag: '1.3.0', digest: digests.get('1.3.0') }], { repo, imagesOf });
    expect(fresh.kind).toBe('updated');
    expect(remote.file('clusters/dev/digest.yaml')).toBe(pinned('1.3.0'));
  });

  it('skips symbolic links and files that are not UTF-8 with a note, and changes the rest', async () => {
    const remote = await createConfigRepo('unread', exampleConfigRepo());
    const work = mkdtempSync(join(tmpdir(), 'tidemark-unread-'));
    remote.git(work, 'clone', '--quiet', remote.url, 'repo');
    const dir = join(work, 'repo');
    symlinkSync('deployment.yaml', join(dir, 'clusters/dev/web/link.yaml'));
    const latin1 = Buffer.concat([Buffer.from('# caf'), Buffer.from([0xe9]), Buffer.from(`\nimage: ${WEB}:1.0.0\n`)]);
    writeFileSync(join(dir, 'clusters/dev/latin1.yaml'), latin1);
    remote.git(dir, 'add', '-A');
    remote.git(dir, 'commit', '--quiet', '-m', 'a link and a Latin-1 file');
    remote.git(dir, 'push', '--quiet', 'origin', 'HEAD:main');
    const result = await updateImages([{ repository: WEB, tag: '1.0.1' }], { repo: await open(remote.url) });
    expect(result.kind).toBe('updated');
    expect(result.unread).toEqual([
      { path: 'clusters/dev/latin1.yaml', reason: 'is not UTF-8 text, so it could not be written back byte for byte' },
      { path: 'clusters/dev/web/link.yaml', reason: expect.stringMatching(/^is a symbolic link/) },
    ]);
    expect(remote.file('clusters/dev/web/deployment.yaml')).toContain('web:1.0.1');
    expect(remote.history()[0]!.files).toEqual(['clusters/dev/web/deployment.yaml']);
  });
});
