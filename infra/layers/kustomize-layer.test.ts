import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, openSync, readSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { Alerts } from '../alerts';
import { ClusterAccess } from '../cluster-access';
import { DriftScanner } from '../drift-scanner';
import { constructTestStack, exampleConfig, fixtureEntry } from '../fixtures/deployment-config';
import { State } from '../state';
import { SyncQueue } from '../sync-queue';
import { KustomizeLayer, kustomizeBuildFolder, kustomizeVersion } from './kustomize-layer';

function driftScannerStack() {
  const config = exampleConfig();
  const stack = constructTestStack();
  const clusters = config.clusters.map(
    (cluster) =>
      new ClusterAccess(stack, `Cluster-${cluster.name}`, {
        cluster,
        syncQueue: new SyncQueue(stack, `Sync-${cluster.name}`, { clusterName: cluster.name }),
      }),
  );
  new DriftScanner(stack, 'DriftScanner', {
    config,
    clusters,
    state: new State(stack, 'State'),
    alerts: new Alerts(stack, 'Alerts', { slackWebhookSecretName: 'tidemark/slack' }),
    configRepoSecret: Secret.fromSecretNameV2(stack, 'RepoSecret', config.configRepo.authSecretName),
    entry: fixtureEntry,
  });
  return stack;
}

/** ELF `e_machine` of a binary: 0xB7 is AArch64, 0x3E x86-64. */
function elfMachine(path: string): number {
  const header = Buffer.alloc(20);
  readSync(openSync(path, 'r'), header, 0, 20, 0);
  expect(header.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  return header.readUInt16LE(18);
}

describe('KustomizeLayer', () => {
  it('gives the drift scanner kustomize at /opt/bin/kustomize and tells the renderer where it is', () => {
    const template = Template.fromStack(driftScannerStack());
    const layers = template.findResources('AWS::Lambda::LayerVersion');
    const kustomize = Object.keys(layers).filter((id) => id.startsWith('DriftScannerKustomize'));
    expect(kustomize).toHaveLength(1);
    template.hasResourceProperties('AWS::Lambda::LayerVersion', {
      CompatibleArchitectures: ['arm64'],
      CompatibleRuntimes: ['nodejs24.x'],
      Description: `kustomize ${kustomizeVersion} (linux/arm64) at /opt/bin/kustomize`,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('drift'),
      Architectures: ['arm64'],
      Layers: Match.arrayWith([{ Ref: kustomize[0] }]),
      Environment: { Variables: Match.objectLike({ TIDEMARK_KUSTOMIZE: '/opt/bin/kustomize' }) },
    });
  });

  it('packages the arm64 build as bin/kustomize, executable', () => {
    const stack = driftScannerStack();
    const assembly = (stack.node.root as App).synth();
    const template = Template.fromJSON(assembly.getStackArtifact(stack.artifactId).template);
    const layer = Object.entries(template.findResources('AWS::Lambda::LayerVersion')).find(([id]) =>
      id.startsWith('DriftScannerKustomize'),
    )?.[1];
    expect(layer).toBeDefined();
    // The staged folder is what `cdk deploy` zips (keeping file modes) and uploads under this key.
    const assetHash = (layer!.Properties.Content.S3Key as string).replace(/\.zip$/, '');
    const binary = join(assembly.directory, `asset.${assetHash}`, 'bin/kustomize');
    expect(elfMachine(binary)).toBe(0xb7);
    expect(() => accessSync(binary, constants.X_OK)).not.toThrow();
  });

  it('is pinned by the wrapper go.mod, which build.sh builds into the per-user cache', () => {
    expect(kustomizeVersion).toBe('v5.7.1');
    expect(kustomizeBuildFolder('linux-arm64', { TIDEMARK_CACHE: '/cache' })).toBe(
      '/cache/kustomize-v5.7.1-b2/linux-arm64',
    );
    // The folder build.sh prints first (quick: bootstrap built it) is the one the layer reads.
    const built = execFileSync('bash', [join(import.meta.dirname, 'kustomize/build.sh')], { encoding: 'utf8' });
    expect(built.split('\n')[0]).toBe(join(kustomizeBuildFolder('linux-arm64'), 'bin/kustomize'));
  });

  it('says how to build kustomize when the build is missing, instead of deploying a scanner that cannot render', () => {
    const stack = new Stack(new App(), 'Test');
    const empty = mkdtempSync(join(tmpdir(), 'kustomize-layer-'));
    expect(() => new KustomizeLayer(stack, 'Kustomize', { folder: empty })).toThrow(
      `Kustomize: ${empty}/bin/kustomize is missing or not executable, so the drift scanner could not render kustomize overlays. Run 'bash infra/layers/kustomize/build.sh'`,
    );
  });
});
