/**
 * The real git CLI as an adapter: {@link GitMirror} (fetch, read, commit, push without force) over {@link runGit}.
 * Used by the `git` config-repo provider and by the in-cluster agent's fetch.
 */
export { type FileEdit, type GitIdentity, GitMirror, type GitMirrorOptions, type PushOutcome } from './git-mirror';
export { type GitCredentials, GitError, type GitResult, runGit } from './run-git';
