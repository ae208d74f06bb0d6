import examples from '@octokit/webhooks-examples';
import { describe, expect, it } from 'vitest';
import { deletesRef, parsePush } from './push-event';

/** GitHub's published push examples (@octokit/webhooks-examples): the payloads exactly as GitHub documents them. */
const githubPushes = examples.find((e) => e.name === 'push')!.examples as Record<string, unknown>[];
const branchPush = githubPushes.find((p) => p.ref === 'refs/heads/master' && (p.commits as unknown[]).length > 0)!;
const tagDeletion = githubPushes.find((p) => p.deleted === true)!;

/** GitLab's documented push event (docs.gitlab.com, "Webhook events", push events), trimmed to the fields used. */
const gitlabPush = {
  object_kind: 'push',
  event_name: 'push',
  before: '95790bf891e76fee5e1747ab589903a6a1f80f22',
  after: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
  ref: 'refs/heads/master',
  checkout_sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
  project: {
    web_url: 'http://example.com/mike/diaspora',
    git_http_url: 'http://example.com/mike/diaspora.git',
  },
  commits: [
    {
      id: 'b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327',
      timestamp: '2011-12-12T14:27:31+02:00',
      added: ['CHANGELOG'],
      modified: ['app/controller/application.rb'],
      removed: [],
    },
    {
      id: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
      timestamp: '2012-01-03T23:36:29+02:00',
      added: ['CHANGELOG'],
      modified: ['app/controller/application.rb'],
      removed: [],
    },
  ],
  total_commits_count: 4,
};

describe('parsePush', () => {
  it("reads GitHub's example push: repo URLs, ref, head, changed paths and push time", () => {
    const parsed = parsePush('github', branchPush);
    expect(parsed).toMatchObject({
      kind: 'push',
      push: {
        repoUrls: ['https://github.com/Codertocat/Hello-World.git', 'https://github.com/Codertocat/Hello-World'],
        ref: 'refs/heads/master',
        after: branchPush.after,
        changedPaths: ['README.md'],
        pushedAt: new Date(1557933657 * 1000),
      },
    });
  });

  it('treats the push that created a branch as incomplete: its commits do not describe what the cluster lacks', () => {
    expect(branchPush.created).toBe(true);
    expect(parsePush('github', branchPush)).toMatchObject({ push: { incomplete: true } });
  });

  it('treats a forced push and a push of more than 20 commits as incomplete', () => {
    const base = { ...branchPush, created: false };
    expect(parsePush('github', base)).toMatchObject({ push: { incomplete: false } });
    expect(parsePush('github', { ...base, forced: true })).toMatchObject({ push: { incomplete: true } });
    const many = Array.from({ length: 21 }, () => ({ added: [], modified: ['clusters/dev/a.yaml'], removed: [] }));
    expect(parsePush('github', { ...base, commits: many })).toMatchObject({ push: { incomplete: true } });
  });

  it("recognises GitHub's example of a deleted ref", () => {
    const parsed = parsePush('github', tagDeletion);
    expect(parsed.kind === 'push' && deletesRef(parsed.push)).toBe(true);
  });

  it("reads GitLab's documented push, incomplete because it lists 2 of 4 commits", () => {
    expect(parsePush('gitlab', gitlabPush)).toEqual({
      kind: 'push',
      push: {
        repoUrls: ['http://example.com/mike/diaspora.git', 'http://example.com/mike/diaspora'],
        ref: 'refs/heads/master',
        before: '95790bf891e76fee5e1747ab589903a6a1f80f22',
        after: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
        changedPaths: ['CHANGELOG', 'app/controller/application.rb'],
        incomplete: true,
      },
    });
    expect(parsePush('gitlab', { ...gitlabPush, total_commits_count: 2 })).toMatchObject({
      push: { incomplete: false },
    });
  });

  it('names the field that makes a payload unreadable', () => {
    expect(parsePush('github', { ...branchPush, after: 'not-a-sha' })).toEqual({
      kind: 'invalid',
      reason: expect.stringMatching(/^after: /),
    });
    expect(parsePush('gitlab', { object_kind: 'tag_push' })).toMatchObject({ kind: 'invalid' });
  });
});
