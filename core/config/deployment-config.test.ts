import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error';
import { readOnlyConfigRepo, validateDeploymentConfig } from './deployment-config';

const minimal = {
  configRepo: { provider: 'github', url: 'https://github.com/acme/config.git', authSecretName: 'tidemark/repo' },
  clusters: [{ name: 'dev', eksClusterName: 'acme-dev', region: 'us-east-1', path: 'clusters/dev' }],
  images: { ecrRepositories: ['web'] },
};

function errorOf(raw: unknown): ConfigError {
  try {
    validateDeploymentConfig(raw);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('validateDeploymentConfig', () => {
  it('fills in the defaults, creating the webhook and Slack secrets unless told they exist', () => {
    const config = validateDeploymentConfig(minimal);
    expect(config.webhook).toEqual({ secretName: 'tidemark/webhook', createSecret: true });
    expect(config.alerts).toEqual({ snsEmails: [], renotifyHours: 24, createSlackWebhookSecret: true });
    expect(config.clusters[0]).toMatchObject({
      agentNamespace: 'tidemark-system',
      agentServiceAccount: 'tidemark-agent',
    });
  });

  it('deploys the published agent image unless told to build it or to use a mirror', () => {
    expect(validateDeploymentConfig(minimal).agentImage).toBe('published');
    expect(validateDeploymentConfig({ ...minimal, agentImage: { build: {} } }).agentImage).toEqual({
      build: { platform: 'linux/amd64' },
    });
    const mirror = '123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror/tidemark-agent:0.1.0';
    expect(validateDeploymentConfig({ ...minimal, agentImage: mirror }).agentImage).toBe(mirror);
    const e = errorOf({ ...minimal, agentImage: 'latest' });
    expect(e.key).toBe('agentImage');
    expect(e.message).toBe(
      "agentImage: 'latest' is neither 'published' nor an image reference. Write 'published', { build: { platform: linux/amd64 } }, or a reference such as '123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror/tidemark-agent:0.1.0'",
    );
  });

  it('names the key, quotes the bad value and says how to fix it', () => {
    const e = errorOf({ ...minimal, clusters: [{ ...minimal.clusters[0], region: 'eu-west' }] });
    expect(e.key).toBe('clusters[0].region');
    expect(e.message).toBe("clusters[0].region: 'eu-west' is not an AWS region. Use a region code such as 'eu-west-1'");
  });

  it('takes ECR repositories as names, prefixes and ARNs', () => {
    const ecrRepositories = ['web', 'team/api', 'team/*', 'arn:aws:ecr:eu-west-1:123456789012:repository/shared/base'];
    expect(validateDeploymentConfig({ ...minimal, images: { ecrRepositories } }).images.ecrRepositories).toEqual(
      ecrRepositories,
    );
  });

  it('rejects an image URI where an ECR repository belongs, though ECR would accept it as a name', () => {
    const e = errorOf({
      ...minimal,
      images: { ecrRepositories: ['123456789012.dkr.ecr.us-east-1.amazonaws.com/web'] },
    });
    expect(e.message).toMatch(
      /^images\.ecrRepositories\[0\]: '123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/web' is not an ECR repository name, prefix or ARN\. Write a name such as 'web' \(not the image URI\)/,
    );
  });

  it('rejects an upper-case repository name as ECR does', () => {
    expect(errorOf({ ...minimal, images: { ecrRepositories: ['Web'] } }).key).toBe('images.ecrRepositories[0]');
  });

  it('does not quote a value that is not a scalar', () => {
    const e = errorOf({ ...minimal, clusters: [] });
    expect(e.message).toBe(
      'clusters: must list at least one cluster. See the annotated tidemark.config.yaml for the expected shape',
    );
  });

  it('keeps every cluster in one region, since one deployment serves one region', () => {
    const e = errorOf({
      ...minimal,
      clusters: [minimal.clusters[0], { ...minimal.clusters[0], name: 'eu', region: 'eu-west-1' }],
    });
    expect(e.key).toBe('clusters[1].region');
    expect(e.message).toMatch(/^clusters\[1\]\.region: 'eu-west-1' differs from clusters\[0\]\.region 'us-east-1'/);
  });

  it('says a required key is missing rather than that undefined has the wrong type', () => {
    const { images: _, ...withoutImages } = minimal;
    expect(errorOf(withoutImages).message).toBe(
      'images: is missing (expected object). Add it; the annotated tidemark.config.yaml shows every key',
    );
  });

  it('names the providers it knows', () => {
    expect(errorOf({ ...minimal, configRepo: { ...minimal.configRepo, provider: 'svn' } }).message).toBe(
      "configRepo.provider: 'svn' is not a provider Tidemark knows. Use 'github' (the GitHub REST API) or 'git' (any smart-HTTP git server)",
    );
  });

  it("refuses a config that would not fit in a Lambda function's environment, and says what to shorten", () => {
    const ecrRepositories = Array.from({ length: 120 }, (_, i) => `team-${i}/service-with-a-long-name`);
    const e = errorOf({ ...minimal, images: { ecrRepositories } });
    expect(e.key).toBe('(top level)');
    expect(e.message).toMatch(
      /^\(top level\): the functions' environment would be about \d+ bytes .* more than the 4096 Lambda allows\. Shorten it: a prefix such as 'team\/\*'/,
    );
  });
});

describe('readOnlyConfigRepo', () => {
  it('reads the repo with configRepo.readOnlySecretName when it is set, and with authSecretName otherwise', () => {
    const shared = validateDeploymentConfig(minimal).configRepo;
    expect(readOnlyConfigRepo(shared).authSecretName).toBe('tidemark/repo');
    const withReadOnly = validateDeploymentConfig({
      ...minimal,
      configRepo: { ...minimal.configRepo, readOnlySecretName: 'tidemark/repo-read' },
    }).configRepo;
    expect(readOnlyConfigRepo(withReadOnly)).toMatchObject({ authSecretName: 'tidemark/repo-read', url: shared.url });
  });
});
