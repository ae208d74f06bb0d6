import { describe, expect, it } from 'vitest';
import { repoKey, sameRepo } from './repo-url';

describe('sameRepo', () => {
  it('treats a clone URL with and without .git, a trailing slash or user info as the same repo', () => {
    expect(sameRepo('https://github.com/acme/config.git', 'https://github.com/acme/config')).toBe(true);
    expect(sameRepo('https://GitHub.com/acme/config/', 'https://git@github.com/acme/config.git')).toBe(true);
  });

  it('tells different repos apart', () => {
    expect(sameRepo('https://github.com/acme/config.git', 'https://github.com/acme/config-prod.git')).toBe(false);
    expect(sameRepo('http://127.0.0.1:9418/a.git', 'http://127.0.0.1:9419/a.git')).toBe(false);
  });

  // The three readers of issue 11 disagreed on exactly these spellings.
  it.each([
    ['a scheme', 'http://git.example.com/config.git', 'https://git.example.com/config'],
    ['user info', 'https://ci:t0k3n@git.example.com/config.git', 'https://git.example.com/config.git'],
    ['case in the path', 'https://github.com/Acme/Config.git', 'https://github.com/acme/config'],
    ['a trailing slash after .git', 'https://git.example.com/config.git/', 'https://git.example.com/config'],
    ['several trailing slashes', 'https://git.example.com/config//', 'https://git.example.com/config.git'],
    ['scp-style ssh', 'git@github.com:acme/config.git', 'https://github.com/acme/config'],
    ['an ssh URL', 'ssh://git@github.com/acme/config.git', 'https://github.com/acme/config'],
    ['a default port', 'https://git.example.com:443/config', 'https://git.example.com/config'],
  ])('ignores %s', (_, a, b) => {
    expect(sameRepo(a, b)).toBe(true);
  });

  it('keeps a port that is not the default, and the path', () => {
    expect(repoKey('https://ci@Git.Example.com:8443/team/config.git/')).toBe('git.example.com:8443/team/config');
    expect(sameRepo('https://git.example.com/team/config', 'https://git.example.com/config')).toBe(false);
  });
});
