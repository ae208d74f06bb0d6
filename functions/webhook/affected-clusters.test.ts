import { describe, expect, it } from 'vitest';
import { validateDeploymentConfig } from '../../core/config/deployment-config';
import { affectedClusters } from './affected-clusters';

// The clusters of examples/config-repo: dev applies plain manifests, prod a kustomize overlay of apps/web/base.
const { clusters } = validateDeploymentConfig({
  configRepo: { provider: 'git', url: 'https://git.example.com/acme/config.git', authSecretName: 'git' },
  clusters: [
    { name: 'dev', eksClusterName: 'dev', region: 'eu-west-1', path: 'clusters/dev' },
    { name: 'prod', eksClusterName: 'prod', region: 'eu-west-1', path: 'clusters/prod' },
    { name: 'prod-eu', eksClusterName: 'prod-eu', region: 'eu-west-1', path: 'clusters/prod-eu' },
  ],
  images: { ecrRepositories: ['web'] },
});
const names = (paths: string[], incomplete = false) => affectedClusters(paths, incomplete, clusters).map((c) => c.name);

describe('affectedClusters', () => {
  it('wakes only the cluster whose folder a commit touched', () => {
    expect(names(['clusters/dev/web/deployment.yaml'])).toEqual(['dev']);
  });

  it('does not mistake a sibling folder with the same prefix for the cluster (prod vs prod-eu)', () => {
    expect(names(['clusters/prod-eu/namespace.yaml'])).toEqual(['prod-eu']);
  });

  it('wakes every cluster when a path outside all cluster folders changed, since an overlay may include it', () => {
    expect(names(['apps/web/base/deployment.yaml'])).toEqual(['dev', 'prod', 'prod-eu']);
  });

  it('wakes no cluster for image policies or documentation', () => {
    expect(names(['.tidemark/images.yaml', 'README.md', 'docs/rollout.md'])).toEqual([]);
  });

  it('wakes every cluster when the payload may not list every changed path', () => {
    expect(names(['clusters/dev/redis.yaml'], true)).toEqual(['dev', 'prod', 'prod-eu']);
  });
});
