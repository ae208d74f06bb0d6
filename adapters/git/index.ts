/**
 * git as an adapter: a {@link RepoMirror} (fetch, read, commit, push without force) over the real git CLI
 * ({@link GitMirror}, via {@link runGit}) or over isomorphic-git ({@link IsomorphicGitMirror}) where no git binary
 * exists. {@link openGitMirror} picks one. Used by the `git` config-repo provider, the drift scanner and the agent.
 */
export { NOT_UTF8_REASON, SYMLINK_REASON, type UnreadFile, utf8Text } from './file-text';
export { type FileEdit, type GitIdentity, GitMirror, type GitMirrorOptions, type PushOutcome } from './git-mirror';
export { IsomorphicGitMirror } from './isomorphic-git-mirror';
export { chooseGitTransport, type GitTransport, gitOnPath, openGitMirror } from './open-git-mirror';
export type { CommitDescription, RepoMirror } from './repo-mirror';
export { type GitCredentials, GitError, type GitResult, runGit } from './run-git';
