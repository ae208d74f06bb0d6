import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../sync/kube-object';
import { appliedImages, withPulledDigests } from './applied-images';

const digest = `sha256:${'b'.repeat(64)}`;
const deployment = (images: string[], init: string[] = []): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop' },
  spec: {
    template: {
      spec: {
        initContainers: init.map((image) => ({ name: 'i', image })),
        containers: images.map((image) => ({ name: 'c', image })),
      },
    },
  },
});

describe('appliedImages', () => {
  it('lists the images of workloads, init containers and CronJobs once each, with pinned digests', () => {
    const cron: KubeObject = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'backup' },
      spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'b', image: 'backup:2' }] } } } } },
    };
    const config: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { image: 'x' } };
    expect(
      appliedImages([
        deployment([`web:1.2@${digest}`, 'sidecar:3'], ['migrate:1']),
        deployment(['sidecar:3']),
        cron,
        config,
      ]),
    ).toEqual([
      { name: 'migrate:1', digest: null },
      { name: 'web:1.2', digest },
      { name: 'sidecar:3', digest: null },
      { name: 'backup:2', digest: null },
    ]);
  });

  it('takes the digest the kubelet pulled for an image Git names by tag only', () => {
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-1' },
      status: { containerStatuses: [{ image: 'sidecar:3', imageID: `registry.example/sidecar@${digest}` }] },
    };
    expect(
      withPulledDigests(
        [
          { name: 'sidecar:3', digest: null },
          { name: 'other:1', digest: null },
        ],
        [pod],
      ),
    ).toEqual([
      { name: 'sidecar:3', digest },
      { name: 'other:1', digest: null },
    ]);
  });
});
