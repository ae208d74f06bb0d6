import { execFileSync } from 'node:child_process';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../adapters/kubernetes/cluster-client';
import type { KubeObject } from '../core/sync/kube-object';
import { managedByLabel, managedByValue, syncLabel } from '../core/sync/ownership';
import { eventually } from '../test/support/agent';
import { uniqueNamespace } from '../test/support/cluster';
import { type Heal, SelfHeal } from './self-heal';

// Self-heal on the real API server, without the controller around it: what happens to a hand edit that lands while
// its Sync is paused (reconciling, or finishing a reconcile and writing its status).

const cluster = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
const logger = new Logger({ serviceName: 'self-heal-test', logLevel: 'ERROR' });
const heals: Heal[] = [];
let selfHeal: SelfHeal;
let ns: string;
const kubectl = (...args: string[]) => execFileSync('kubectl', ['-n', ns, ...args], { stdio: 'pipe' }).toString();
const mode = () => kubectl('get', 'configmap', 'paused', '-o', 'jsonpath={.data.mode}');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  ns = await uniqueNamespace('self-heal');
  selfHeal = new SelfHeal(cluster, logger, (heal) => heals.push(heal), [ns]);
});

afterAll(() => {
  selfHeal?.stop();
  cluster.close();
});

describe('self-heal', () => {
  it('heals a hand edit made while its Sync was paused, once the Sync resumes', async () => {
    const sync = `${ns}.paused`;
    const desired: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'paused', namespace: ns, labels: { [managedByLabel]: managedByValue, [syncLabel]: sync } },
      data: { mode: 'git' },
    };
    await cluster.apply(desired);
    selfHeal.track(sync, [desired]);
    // The watch is running once an ordinary edit is healed.
    kubectl('patch', 'configmap', 'paused', '--type=merge', '-p', '{"data":{"mode":"first"}}');
    await eventually(async () => mode() === 'git', 30_000, 'the first edit healed');

    selfHeal.pause(sync);
    kubectl('patch', 'configmap', 'paused', '--type=merge', '-p', '{"data":{"mode":"during"}}');
    // Longer than the 5 s that self-heal leaves between two heals of one object, and than the watch's delivery.
    await sleep(6000);
    expect(mode()).toBe('during'); // paused: the reconcile owns the object

    // The watch will not report the edit again: resuming has to remember it.
    selfHeal.resume(sync);
    await eventually(async () => mode() === 'git', 15_000, 'the edit made during the pause healed');
    expect(heals.filter((heal) => heal.sync === sync)).toHaveLength(2);
    expect(heals.at(-1)).toMatchObject({ subject: `ConfigMap/${ns}/paused`, changedBy: 'kubectl-patch' });
  }, 60_000);
});
