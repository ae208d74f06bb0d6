import { accessSync, constants, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Architecture, Code, LayerVersion, Runtime } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';

const buildFolder = join(import.meta.dirname, 'helm');

/** The Helm version pinned in `infra/layers/helm/go.mod`, which build.sh builds and names its cache by. */
export const helmVersion = pinnedVersion(readFileSync(join(buildFolder, 'go.mod'), 'utf8'));

/**
 * Where `infra/layers/helm/build.sh` puts a platform's build: a folder laid out as `bin/helm`, so that as a layer
 * (extracted under `/opt`) the binary is `/opt/bin/helm`.
 *
 * @example
 * helmBuildFolder('linux-arm64'); // ~/.cache/tidemark/helm-v3.22.0/linux-arm64
 */
export function helmBuildFolder(platform: string, env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.TIDEMARK_CACHE || join(homedir(), '.cache/tidemark');
  return join(cache, `helm-${helmVersion}`, platform);
}

export interface HelmLayerProps {
  /**
   * A folder holding a linux/arm64 helm as `bin/helm`.
   * @default - build.sh's cache folder for the pinned version (`helmBuildFolder('linux-arm64')`)
   */
  readonly folder?: string;
}

/**
 * The helm command for arm64 Node.js functions, at {@link HelmLayer.binary}. The drift scanner renders a Sync's chart
 * with the same Helm version as the agent (the real Helm, built from the Go module proxy and never committed), so a
 * chart's objects are judged as the agent applies them and not as some other template engine would render them.
 */
export class HelmLayer extends LayerVersion {
  /** Where a function using this layer finds helm: set `TIDEMARK_HELM` to it. */
  static readonly binary = '/opt/bin/helm';

  constructor(scope: Construct, id: string, props: HelmLayerProps = {}) {
    const folder = props.folder ?? helmBuildFolder('linux-arm64');
    try {
      accessSync(join(folder, 'bin/helm'), constants.X_OK);
    } catch (error) {
      throw new Error(
        `${id}: ${join(folder, 'bin/helm')} is missing or not executable, so the drift scanner could not render Helm charts. Run 'bash infra/layers/helm/build.sh' (local/bootstrap.sh runs it)`,
        { cause: error },
      );
    }
    super(scope, id, {
      code: Code.fromAsset(folder),
      compatibleArchitectures: [Architecture.ARM_64],
      compatibleRuntimes: [Runtime.NODEJS_24_X],
      description: `helm ${helmVersion} (linux/arm64) at ${HelmLayer.binary}`,
    });
  }
}

function pinnedVersion(goMod: string): string {
  const version = /^require helm\.sh\/helm\/v3 (v[\d.]+)$/m.exec(goMod)?.[1];
  if (!version) {
    throw new Error("infra/layers/helm/go.mod: has no 'require helm.sh/helm/v3 vX.Y.Z' line. Restore it");
  }
  return version;
}
