import { DeleteParameterCommand, GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import type { Reconciler } from '../../core/resources/reconciler';
import ssmParameter from '../../examples/reconcilers/ssm-parameter';
import { uniqueName } from '../../test/support/local-env';
import { actions, testFolder } from '../../test/support/resources';

// Retries as a reconciler author is promised them (sdk/README.md, "Errors: throw"): the example SsmParameter reconciler
// against moto's SSM, its writes made to fail the way a throttled AWS API fails (moto does not throttle). The backoff
// does not sleep here (testFolder's `noWait`); with-retries.test.ts checks the delays.

const ssm = new SSMClient({});
const prefix = `/${uniqueName('retries')}/`;
const parameter = (name: string, value: string) => `apiVersion: tidemark.dev/v1alpha1
kind: SsmParameter
metadata: { name: ${name} }
spec: { name: "${prefix}${name}", value: "${value}" }
`;
const key = (name: string) => `SsmParameter/${prefix}${name}`;
const storedValue = async (name: string) =>
  (await ssm.send(new GetParameterCommand({ Name: `${prefix}${name}` })).catch(() => undefined))?.Parameter?.Value;

/** The example reconciler, with its first `failures` writes refused as SSM refuses a burst: ThrottlingException. */
function throttledWrites(failures: number): Reconciler & { writes: () => number } {
  let writes = 0;
  return {
    ...ssmParameter,
    async apply(...args: Parameters<Reconciler['apply']>) {
      writes++;
      if (writes <= failures) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      return ssmParameter.apply(...args);
    },
    writes: () => writes,
  };
}

describe('retries in a reconcile', () => {
  const folderOf = (module: Reconciler, ownerId: string) =>
    testFolder(module, { name: 'parameters', ownerId, maxPrunePercent: 100, settings: { pathPrefix: prefix } });

  it('applies an object whose first writes were throttled, and records how many tries it took', async () => {
    const flaky = throttledWrites(2);
    const result = await folderOf(flaky, uniqueName('owner')).reconcile({ 'a.yaml': parameter('timeout-ms', '2500') });
    expect(result.outcome).toMatchObject({
      kind: 'applied',
      results: [{ key: key('timeout-ms'), action: 'created', attempts: 3 }],
    });
    expect(await storedValue('timeout-ms')).toBe('2500');
    expect(flaky.writes()).toBe(3);
  });

  it("fails an object after four tries with the provider's message, and prunes nothing in that run", async () => {
    const ownerId = uniqueName('owner');
    const healthy = folderOf(ssmParameter, ownerId);
    await healthy.reconcile({ 'a.yaml': parameter('pool-size', '10'), 'b.yaml': parameter('legacy', 'on') });

    // The next commit changes one parameter and drops the other, while SSM refuses every write.
    const throttled = folderOf(throttledWrites(Number.POSITIVE_INFINITY), ownerId);
    throttled.inventory = healthy.inventory;
    const result = await throttled.reconcile({ 'a.yaml': parameter('pool-size', '20') });
    expect(result.outcome.kind).toBe('failed');
    expect(actions(result)).toEqual({ [key('pool-size')]: 'failed', [key('legacy')]: 'skipped' });
    const failed = 'results' in result.outcome ? result.outcome.results : [];
    expect(failed.find((r) => r.key === key('pool-size'))).toMatchObject({
      attempts: 4,
      message: 'apply failed: Rate exceeded',
    });
    expect(await storedValue('pool-size')).toBe('10');
    expect(await storedValue('legacy')).toBe('on'); // not pruned while another object failed
    // Both stay in the inventory, so the next run applies the one and prunes the other.
    expect('inventory' in result.outcome && result.outcome.inventory.entries.map((e) => e.key)).toEqual([
      key('legacy'),
      key('pool-size'),
    ]);

    healthy.inventory = 'inventory' in result.outcome ? result.outcome.inventory : healthy.inventory;
    const next = await healthy.reconcile({ 'a.yaml': parameter('pool-size', '20') });
    expect(actions(next)).toEqual({ [key('pool-size')]: 'updated', [key('legacy')]: 'deleted' });
    await ssm.send(new DeleteParameterCommand({ Name: `${prefix}pool-size` }));
  });
});
