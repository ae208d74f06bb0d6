import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createGitRepo } from '../../test/support/git-repo';
import { localEnv } from '../../test/support/local-env';
import { CheckoutCache } from './checkout-cache';

// The agent and the drift scanner share this cache (issue 11: before, each had its own, with different crash safety).
// A crash is simulated by what it leaves behind: a half-written `<revision>.partial` folder beside where the checkout
// goes, which is where the cache writes before it renames a finished checkout into place.
describe('checkout cache (local git server)', () => {
  const credentials = () => ({ username: localEnv().git.username, password: localEnv().git.password });
  const checkoutsOf = (cacheDir: string, url: string) =>
    join(cacheDir, 'checkouts', createHash('sha256').update(url).digest('hex').slice(0, 16));

  it('checks out the branch tip as a plain folder with the files of that commit', async () => {
    const remote = await createGitRepo('checkout-cache', { 'apps/web.yaml': 'kind: ConfigMap\n' });
    const cache = new CheckoutCache(mkdtempSync(join(tmpdir(), 'tidemark-checkouts-')));
    const checkout = await cache.fetch(remote.url, 'main', credentials());
    expect(checkout.revision).toBe(remote.head());
    expect(readFileSync(join(checkout.dir, 'apps/web.yaml'), 'utf8')).toBe('kind: ConfigMap\n');
    expect(existsSync(join(checkout.dir, '.git'))).toBe(false);
    expect(await checkout.subject()).toBe('initial commit');
  });

  it('never hands out what a crash mid-checkout left behind, and removes it', async () => {
    const remote = await createGitRepo('checkout-crash', { 'a.yaml': 'a: 1\n' });
    const cacheDir = mkdtempSync(join(tmpdir(), 'tidemark-checkouts-'));
    const partial = join(checkoutsOf(cacheDir, remote.url), `${remote.head()}.partial`);
    mkdirSync(partial, { recursive: true });
    writeFileSync(join(partial, 'half-written.yaml'), 'kind: Con');

    // A new process (the agent restarted, a new Lambda container) opens the same folder.
    const checkout = await new CheckoutCache(cacheDir).fetch(remote.url, 'main', credentials());
    expect(readdirSync(checkout.dir, { recursive: true }).sort()).toEqual(['a.yaml']);
    expect(existsSync(partial)).toBe(false);
  });

  it('keeps the newest checkouts of a branch and removes older ones', async () => {
    const remote = await createGitRepo('checkout-keep', { 'a.yaml': 'a: 1\n' });
    const cache = new CheckoutCache(mkdtempSync(join(tmpdir(), 'tidemark-checkouts-')), { keep: 1 });
    const first = await cache.fetch(remote.url, 'main', credentials());
    remote.commit({ 'a.yaml': 'a: 2\n' }, 'a=2');
    const second = await cache.fetch(remote.url, 'main', credentials());
    expect(second.revision).not.toBe(first.revision);
    expect(readFileSync(join(second.dir, 'a.yaml'), 'utf8')).toBe('a: 2\n');
    expect(existsSync(first.dir)).toBe(false);
  });
});
