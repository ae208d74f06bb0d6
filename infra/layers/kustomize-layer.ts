import { accessSync, constants, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Architecture, Code, LayerVersion, Runtime } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';

const buildFolder = join(import.meta.dirname, 'kustomize');

/** The kustomize version pinned in `infra/layers/kustomize/go.mod`, which build.sh builds and names its cache by. */
export const kustomizeVersion = pinnedVersion(readFileSync(join(buildFolder, 'go.mod'), 'utf8'));

/**
 * Where `infra/layers/kustomize/build.sh` puts a platform's build: a folder laid out as `bin/kustomize`, so that
 * as a layer (extracted under `/opt`) the binary is `/opt/bin/kustomize`.
 *
 * @example
 * kustomizeBuildFolder('linux-arm64'); // ~/.cache/tidemark/kustomize-v5.7.1-b2/linux-arm64
 */
export function kustomizeBuildFolder(platform: string, env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.TIDEMARK_CACHE || join(homedir(), '.cache/tidemark');
  return join(cache, `kustomize-${kustomizeVersion}-b2`, platform);
}

export interface KustomizeLayerProps {
  /**
   * A folder holding a linux/arm64 kustomize as `bin/kustomize`.
   * @default - build.sh's cache folder for the pinned version (`kustomizeBuildFolder('linux-arm64')`)
   */
  readonly folder?: string;
}

/**
 * The kustomize command for arm64 Node.js functions, at {@link KustomizeLayer.binary}. The Lambda runtime has no
 * kubectl or kustomize, and the drift scanner must render kustomize overlays as the agent does; the binary is the real
 * kustomize built from the Go module proxy (never committed), so overlays, components and generators behave as
 * users test them.
 */
export class KustomizeLayer extends LayerVersion {
  /** Where a function using this layer finds kustomize: set `TIDEMARK_KUSTOMIZE` to it. */
  static readonly binary = '/opt/bin/kustomize';

  constructor(scope: Construct, id: string, props: KustomizeLayerProps = {}) {
    const folder = props.folder ?? kustomizeBuildFolder('linux-arm64');
    try {
      accessSync(join(folder, 'bin/kustomize'), constants.X_OK);
    } catch (error) {
      throw new Error(
        `${id}: ${join(folder, 'bin/kustomize')} is missing or not executable, so the drift scanner could not render kustomize overlays. Run 'bash infra/layers/kustomize/build.sh' (local/bootstrap.sh runs it)`,
        { cause: error },
      );
    }
    super(scope, id, {
      code: Code.fromAsset(folder),
      compatibleArchitectures: [Architecture.ARM_64],
      compatibleRuntimes: [Runtime.NODEJS_24_X],
      description: `kustomize ${kustomizeVersion} (linux/arm64) at ${KustomizeLayer.binary}`,
    });
  }
}

function pinnedVersion(goMod: string): string {
  const version = /^require sigs\.k8s\.io\/kustomize\/kustomize\/v5 (v[\d.]+)$/m.exec(goMod)?.[1];
  if (!version) {
    throw new Error(
      "infra/layers/kustomize/go.mod: has no 'require sigs.k8s.io/kustomize/kustomize/v5 vX.Y.Z' line. Restore it",
    );
  }
  return version;
}
