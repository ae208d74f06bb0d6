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
import { HelmLayer, helmBuildFolder, helmVersion } from './helm-layer';

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

/** ELF `e_machine` of a binary: 0xB7 is AArch64. */
function elfMachine(path: string): number {
  const header = Buffer.alloc(20);
  readSync(openSync(path, 'r'), header, 0, 20, 0);
  expect(header.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  return header.readUInt16LE(18);
}

describe('HelmLayer', () => {
  it('gives the drift scanner helm at /opt/bin/helm beside kustomize, and tells the renderer where it is', () => {
    const template = Template.fromStack(driftScannerStack());
    const layers = Object.keys(template.findResources('AWS::Lambda::LayerVersion'));
    const helm = layers.find((id) => id.startsWith('DriftScannerHelm'));
    expect(helm).toBeDefined();
    template.hasResourceProperties('AWS::Lambda::LayerVersion', {
      CompatibleArchitectures: ['arm64'],
      Description: `helm ${helmVersion} (linux/arm64) at /opt/bin/helm`,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Layers: Match.arrayWith([{ Ref: helm }]),
      Environment: { Variables: Match.objectLike({ TIDEMARK_HELM: '/opt/bin/helm' }) },
    });
  });

  it('packages the arm64 build as bin/helm, executable', () => {
    const stack = driftScannerStack();
    const assembly = (stack.node.root as App).synth();
    const template = Template.fromJSON(assembly.getStackArtifact(stack.artifactId).template);
    const layer = Object.entries(template.findResources('AWS::Lambda::LayerVersion')).find(([id]) =>
      id.startsWith('DriftScannerHelm'),
    )?.[1];
    expect(layer).toBeDefined();
    const assetHash = (layer!.Properties.Content.S3Key as string).replace(/\.zip$/, '');
    const binary = join(assembly.directory, `asset.${assetHash}`, 'bin/helm');
    expect(elfMachine(binary)).toBe(0xb7);
    expect(() => accessSync(binary, constants.X_OK)).not.toThrow();
  });

  it('is pinned to Helm v3.22 by the wrapper go.mod, which build.sh builds into the per-user cache', () => {
    expect(helmVersion).toMatch(/^v3\.22\.\d+$/);
    expect(helmBuildFolder('linux-arm64', { TIDEMARK_CACHE: '/cache' })).toBe(`/cache/helm-${helmVersion}/linux-arm64`);
  });

  it('says how to build helm when the build is missing, instead of deploying a scanner that cannot render charts', () => {
    const stack = new Stack(new App(), 'Test');
    const empty = mkdtempSync(join(tmpdir(), 'helm-layer-'));
    expect(() => new HelmLayer(stack, 'Helm', { folder: empty })).toThrow(
      `Helm: ${empty}/bin/helm is missing or not executable, so the drift scanner could not render Helm charts. Run 'bash infra/layers/helm/build.sh'`,
    );
  });
});
