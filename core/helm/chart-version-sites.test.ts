import { describe, expect, it } from 'vitest';
import { pushedArtifact } from './chart-version-sites';

describe('pushedArtifact', () => {
  it('tells a Helm chart push from an image push by the artifact media type ECR reports', () => {
    expect(pushedArtifact({ 'artifact-media-type': 'application/vnd.cncf.helm.config.v1+json' })).toBe('helm-chart');
    expect(pushedArtifact({ 'artifact-media-type': 'application/vnd.oci.image.config.v1+json' })).toBe('image');
    expect(pushedArtifact({})).toBe('image');
  });
});
