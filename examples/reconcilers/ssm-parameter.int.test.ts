import { GetParameterCommand, ListTagsForResourceCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { actions, testFolder } from '../../test/support/resources';
import { uniqueName } from '../../test/support/local-env';
import ssmParameter from './ssm-parameter';

// The example reconciler of your own, run by the engine as its Lambda would run it, against moto's SSM.

const ssm = new SSMClient({});
const prefix = `/${uniqueName('shop')}/`;
const parameter = (name: string, value: string) => `apiVersion: tidemark.dev/v1alpha1
kind: SsmParameter
metadata: { name: ${name} }
spec: { name: "${prefix}${name}", value: "${value}" }
`;
const valueOf = async (name: string) =>
  (await ssm.send(new GetParameterCommand({ Name: `${prefix}${name}` })).catch(() => undefined))?.Parameter?.Value;

describe('the SsmParameter example reconciler', () => {
  const folder = () =>
    testFolder(ssmParameter, { name: 'parameters', ownerId: uniqueName('owner'), maxPrunePercent: 100, settings: { pathPrefix: prefix } });

  it('creates parameters tagged with the owner id, updates one, prunes one, and reports a hand change', async () => {
    const params = folder();
    await params.reconcile({ 'a.yaml': parameter('timeout-ms', '2500'), 'b.yaml': parameter('retries', '3') });
    expect(await valueOf('timeout-ms')).toBe('2500');
    const tags = await ssm.send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: `${prefix}retries` }));
    expect(tags.TagList).toEqual([{ Key: 'tidemark.dev/owner', Value: params.folder.ownerId }]);

    const changed = await params.reconcile({ 'a.yaml': parameter('timeout-ms', '3000') });
    expect(actions(changed)).toEqual({ [`SsmParameter/${prefix}timeout-ms`]: 'updated', [`SsmParameter/${prefix}retries`]: 'deleted' });
    expect(await valueOf('retries')).toBeUndefined();

    await ssm.send(new PutParameterCommand({ Name: `${prefix}timeout-ms`, Value: '9000', Type: 'String', Overwrite: true }));
    expect((await params.scan({ 'a.yaml': parameter('timeout-ms', '3000') })).findings).toEqual([
      { kind: 'modified', key: `SsmParameter/${prefix}timeout-ms`, changes: [{ path: 'value', from: '9000', to: '3000' }] },
    ]);
  });

  it('leaves a parameter made outside Git alone', async () => {
    await ssm.send(new PutParameterCommand({ Name: `${prefix}by-hand`, Value: 'mine', Type: 'String' }));
    const result = await folder().reconcile({ 'c.yaml': parameter('by-hand', 'theirs') });
    expect(actions(result)).toEqual({ [`SsmParameter/${prefix}by-hand`]: 'conflict' });
    expect(await valueOf('by-hand')).toBe('mine');
  });
});
