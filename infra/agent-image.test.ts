import { App, Stack } from 'aws-cdk-lib';
import { AssetManifestArtifact } from 'aws-cdk-lib/cx-api';
import { describe, expect, it } from 'vitest';
import { tidemarkVersion } from '../core/version';
import { AgentImage } from './agent-image';

const stack = () => new Stack(new App(), 'Test', { env: { account: '123456789012', region: 'us-east-1' } });

describe('AgentImage', () => {
  it('is the published release of this version by default, so cdk deploy needs no Docker', () => {
    expect(new AgentImage(stack(), 'Agent').imageUri).toBe(`ghcr.io/tidemark-dev/tidemark-agent:${tidemarkVersion}`);
  });

  it('is the reference given, for a mirror', () => {
    const mirror = '123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror/tidemark-agent:0.1.0';
    expect(new AgentImage(stack(), 'Agent', { setting: mirror }).imageUri).toBe(mirror);
  });

  it('is built from agent/Dockerfile into the CDK assets repository when asked, for the platform asked', () => {
    const s = stack();
    const image = new AgentImage(s, 'Agent', { setting: { build: { platform: 'linux/arm64' } } });
    const manifest = App.of(s)!
      .synth()
      .artifacts.find((a): a is AssetManifestArtifact => a instanceof AssetManifestArtifact)!;
    const images = Object.values(manifest.contents.dockerImages ?? {}).map((i) => i.source);
    expect(images).toEqual([expect.objectContaining({ dockerFile: 'agent/Dockerfile', platform: 'linux/arm64' })]);
    expect(s.resolve(image.imageUri)).toMatchObject({ 'Fn::Sub': expect.stringContaining('container-assets') });
  });
});
