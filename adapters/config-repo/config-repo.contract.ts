import { describe, expect, it } from 'vitest';
import { type ConfigRepo, newBranch } from './config-repo';

/**
 * What every {@link ConfigRepo} provider must do, as one suite. `setup` gives a repo whose `main` holds `SEED`, and
 * `otherWriter` pushes a commit to `main` the way another automation or a human would, behind the provider's back.
 */
export interface ContractSubject {
  repo: ConfigRepo;
  otherWriter(files: Record<string, string>): Promise<void>;
}

export const SEED: Record<string, string> = {
  'clusters/dev/web.yaml': 'image: acme.io/web:1.0.0 # {"tidemark": "web"}\r\n',
  'clusters/prod/kustomization.yaml': 'images:\n  - name: acme.io/web\n    newTag: 1.0.0\n',
  'README.md': '# config\n',
};

export function describeConfigRepoContract(name: string, setup: () => Promise<ContractSubject>): void {
  describe(`ConfigRepo contract: ${name}`, () => {
    it('reads the files under the given paths at the head, byte for byte', async () => {
      const { repo } = await setup();
      const read = await repo.read(['clusters/dev', 'missing']);
      expect(read?.branch).toBe('main');
      expect(read?.head).toMatch(/^[0-9a-f]{40}$/);
      expect([...read!.files]).toEqual([['clusters/dev/web.yaml', SEED['clusters/dev/web.yaml']]]);
    });

    it('says a branch does not exist', async () => {
      const { repo } = await setup();
      expect(await repo.read(['clusters'], 'tidemark/none')).toBeUndefined();
    });

    it('commits onto the head it read, and the next read sees the commit', async () => {
      const { repo } = await setup();
      const read = (await repo.read(['clusters']))!;
      const outcome = await repo.commit(
        [{ path: 'clusters/dev/web.yaml', content: 'image: acme.io/web:1.1.0 # {"tidemark": "web"}\r\n' }],
        read,
        'Move web to 1.1.0',
      );
      expect(outcome).toMatchObject({ kind: 'committed', branch: 'main' });
      const after = (await repo.read(['clusters/dev']))!;
      expect(after.head).toBe(outcome.kind === 'committed' ? outcome.sha : '');
      expect(after.files.get('clusters/dev/web.yaml')).toBe('image: acme.io/web:1.1.0 # {"tidemark": "web"}\r\n');
    });

    it('reports head-moved when another writer pushed after the read, and keeps their commit', async () => {
      const { repo, otherWriter } = await setup();
      const read = (await repo.read(['clusters']))!;
      await otherWriter({ 'README.md': '# changed by someone else\n' });
      const outcome = await repo.commit([{ path: 'clusters/dev/web.yaml', content: 'x: 1\n' }], read, 'late');
      expect(outcome).toEqual({ kind: 'head-moved', branch: 'main' });
      const after = (await repo.read(['README.md', 'clusters/dev']))!;
      expect(after.files.get('README.md')).toBe('# changed by someone else\n');
      expect(after.files.get('clusters/dev/web.yaml')).toBe(SEED['clusters/dev/web.yaml']);
    });

    it('creates a new branch from the base head, and refuses to move it from a stale head', async () => {
      const { repo } = await setup();
      const base = (await repo.read(['clusters/prod']))!;
      const edit = [{ path: 'clusters/prod/kustomization.yaml', content: 'images: []\n' }];
      const first = await repo.commit(edit, base, 'Move web-prod to 1.0.1', 'tidemark/web-prod');
      expect(first).toMatchObject({ kind: 'committed', branch: 'tidemark/web-prod' });
      expect(
        (await repo.read(['clusters/prod'], 'tidemark/web-prod'))!.files.get('clusters/prod/kustomization.yaml'),
      ).toBe('images: []\n');
      const again = await repo.commit(edit, base, 'Move web-prod to 1.0.2', 'tidemark/web-prod');
      expect(again).toEqual({ kind: 'head-moved', branch: 'tidemark/web-prod' });
    });

    it('starts a branch of its own with a root commit of only the edits, once', async () => {
      const { repo } = await setup();
      const edit = [{ path: 'web/Deployment-web.yaml', content: 'kind: Deployment\n' }];
      const first = await repo.commit(edit, newBranch('rendered/dev'), 'Render web-dev');
      expect(first).toMatchObject({ kind: 'committed', branch: 'rendered/dev' });
      const read = (await repo.read(['.'], 'rendered/dev'))!;
      expect([...read.files]).toEqual([['web/Deployment-web.yaml', 'kind: Deployment\n']]);
      // Another writer (or an earlier attempt) created the branch meanwhile: the branch moved, nothing is forced.
      expect(await repo.commit(edit, newBranch('rendered/dev'), 'Render web-dev')).toEqual({
        kind: 'head-moved',
        branch: 'rendered/dev',
      });
    });
  });
}
