import { join } from 'node:path';
import { IgnoreMode } from 'aws-cdk-lib';
import { DockerImageAsset, Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { Construct } from 'constructs';
import { readImageContents } from '../agent/image/image-contents';
import type { DeploymentConfig } from '../core/config/deployment-config';
import { tidemarkVersion } from '../core/version';

export interface AgentImageProps {
  /**
   * Which image the clusters' agents run (`agentImage` in tidemark.config.yaml).
   * @default 'published' - the release of this version
   */
  readonly setting?: DeploymentConfig['agentImage'];
  /**
   * The Tidemark version whose release `published` means.
   * @default - package.json's version
   */
  readonly version?: string;
}

/**
 * The agent image every cluster's install uses, named once for the stack's install outputs (`tidemark install` reads
 * them). By default the published release of this version (`ghcr.io/tidemark-dev/tidemark-agent:<version>`), so a
 * `cdk deploy` needs no Docker; `{ build: { platform } }` builds agent/Dockerfile at deploy time into the CDK assets
 * repository (ECR) instead, for teams that run only images they built (cdk deploy then needs Docker); any other value
 * is an image reference, such as a mirror of the release.
 */
export class AgentImage extends Construct {
  /** The image reference the agent's Deployment runs. */
  readonly imageUri: string;
  /** The asset when the image is built from agent/Dockerfile. */
  readonly asset?: DockerImageAsset;

  constructor(scope: Construct, id: string, props: AgentImageProps = {}) {
    super(scope, id);
    const setting = props.setting ?? 'published';
    if (setting === 'published') {
      this.imageUri = `${readImageContents().repository}:${props.version ?? tidemarkVersion}`;
    } else if (typeof setting === 'string') {
      this.imageUri = setting;
    } else {
      this.asset = new DockerImageAsset(this, 'Build', {
        directory: join(import.meta.dirname, '..'),
        file: 'agent/Dockerfile',
        platform: setting.build.platform === 'linux/arm64' ? Platform.LINUX_ARM64 : Platform.LINUX_AMD64,
        // The build context is the checkout less what .dockerignore leaves out (node_modules, caches, cdk.out).
        ignoreMode: IgnoreMode.DOCKER,
      });
      this.imageUri = this.asset.imageUri;
    }
  }
}
