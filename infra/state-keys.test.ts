import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbResourcesStatusStore } from '../adapters/resources/dynamodb-status-store';
import { AlertStateStore } from '../adapters/state/alert-state-store';
import { ClaimLedger } from '../adapters/state/claim-ledger';
import { DriftFindingsStore } from '../adapters/state/drift-findings-store';
import { DynamoDbDriftCache } from '../adapters/state/dynamodb-drift-cache';
import { RenderAlertStore } from '../adapters/state/render-alert-store';
import { VersionedItems } from '../adapters/state/versioned-items';
import { driftTarget } from '../core/resources/resources-drift';
import { deploySyncKey, promoteWakeKey } from '../core/state/state-keys';
import { evidenceId, scanId, stageId } from '../engine/promotion/promotion-records';
import { imageEventLedger } from '../functions/image-updater/image-events';
import { commitItemId, environmentItemId, stormItemId, syncItemId } from '../functions/notifier/notify';
import { deliveryLedger, pushLedger } from '../functions/webhook/receive-webhook';
import { exampleConfig } from './fixtures/deployment-config';
import { TidemarkStack } from './tidemark-stack';

/**
 * The State table's keys each function's code really uses, checked against the `dynamodb:LeadingKeys` its role got
 * in the whole stack of the annotated example. moto, which the functions' integration tests run on, does not enforce
 * IAM, so a key the code builds and the stack does not grant would only fail on AWS: this test is where it fails.
 *
 * The keys come from the code's own paths: the claim ledgers' Powertools key of an event (`keyOf`), the notifier's
 * item ids, and the requests the stores send. For the stores, a middleware on a real DynamoDB client records the
 * `Key`/`Item` of each request and stops it before it is sent (nothing answers it, so nothing is faked: the store's
 * call fails, and only the request it built is looked at).
 */

let template: Template;
beforeAll(() => {
  // Bundling skipped (CDK's switch): the policies do not depend on the code bundles.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  template = Template.fromStack(new TidemarkStack(app, 'Tidemark', { config: exampleConfig() }));
}, 120_000);

type Statement = { Action: string | string[]; Condition?: Record<string, Record<string, string | string[]>> };

/** The LeadingKeys patterns of the function whose Powertools service name is `service`. */
function grantedKeys(service: string): string[] {
  const functions = Object.values(template.findResources('AWS::Lambda::Function')).filter(
    (f) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service,
  );
  expect(functions, `one function named ${service}`).toHaveLength(1);
  const roleId = functions[0]!.Properties.Role['Fn::GetAtt'][0] as string;
  const statements = Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[])
    .filter((s) => [s.Action].flat().some((a) => a.startsWith('dynamodb:')));
  // Every DynamoDB statement of the role is conditioned on the keys: none grants the table unconditionally.
  for (const s of statements) expect(s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys']).toBeDefined();
  return statements.flatMap((s) => [s.Condition!['ForAllValues:StringLike']!['dynamodb:LeadingKeys']!].flat());
}

/** IAM's `StringLike`: `*` any run of characters, `?` one, case-sensitive, the whole value. */
function stringLike(pattern: string, value: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 's').test(value);
}

function allowed(service: string, key: string): boolean {
  return grantedKeys(service).some((p) => stringLike(p, key));
}

/** The `id`s of the requests `use` makes through `client`, each stopped before it is sent. */
async function keysSent(use: (client: DynamoDBClient) => Promise<unknown>): Promise<string[]> {
  const client = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const ids: string[] = [];
  client.middlewareStack.add(
    () => async (args) => {
      // By this step the document client has marshalled the input: `{ id: { S: … } }`.
      type Key = { id: { S: string } };
      const input = args.input as { Key?: Key; Item?: Key; RequestItems?: Record<string, { Keys: Key[] }> };
      if (input.Key) ids.push(input.Key.id.S);
      if (input.Item) ids.push(input.Item.id.S);
      for (const r of Object.values(input.RequestItems ?? {})) for (const k of r.Keys) ids.push(k.id.S);
      throw new Error('stopped before sending');
    },
    { step: 'serialize', name: 'recordStateKeys' },
  );
  await use(client).catch(() => undefined);
  return ids;
}

describe('State table keys: what each function uses is what its role may touch', () => {
  it('the image updater: its claim ledger of ECR events, and nothing of the others', () => {
    const key = new ClaimLedger({ tableName: 'State', ...imageEventLedger }).keyOf('ecr-event-1');
    expect(key).toMatch(/^image-updater#[A-Za-z0-9+/=]+$/);
    expect(allowed('image-updater', key)).toBe(true);
    expect(allowed('image-updater', 'webhook-delivery#abc')).toBe(false);
    expect(allowed('image-updater', 'drift-alert#prod')).toBe(false);
  });

  it('the webhook: its ledgers of deliveries and of pushes, and nothing of the others', () => {
    for (const ledger of [deliveryLedger, pushLedger]) {
      const key = new ClaimLedger({ tableName: 'State', ...ledger }).keyOf('delivery-1');
      expect(allowed('webhook', key), key).toBe(true);
    }
    expect(allowed('webhook', 'image-updater#abc')).toBe(false);
    expect(allowed('webhook', 'deploy-sync#prod#shop/web')).toBe(false);
  });

  it("the drift scanner: each configured cluster's alert state, drift cache and findings, and no other cluster's", async () => {
    for (const cluster of exampleConfig().clusters.map((c) => c.name)) {
      const alert = await keysSent((c) => new AlertStateStore('State', c).load(cluster));
      const cacheRead = await keysSent((c) => new DynamoDbDriftCache('State', cluster, c).load());
      const cacheWrite = await keysSent((c) => new DynamoDbDriftCache('State', cluster, c).save(new Map()));
      const findings = await keysSent((c) => new DriftFindingsStore('State', c).load(cluster));
      const keys = [...alert, ...cacheRead, ...cacheWrite, ...findings];
      expect(keys).toEqual([
        `drift-alert#${cluster}`,
        `drift-cache#${cluster}`,
        `drift-cache#${cluster}#0`,
        `drift-findings#${cluster}`,
      ]);
      for (const key of keys) expect(allowed('drift-scanner', key), key).toBe(true);
    }
    expect(allowed('drift-scanner', 'drift-alert#staging')).toBe(false);
    expect(allowed('drift-scanner', 'drift-alert#resources/dns')).toBe(false);
    expect(allowed('drift-scanner', 'deploy-sync#prod#shop/web')).toBe(false);
  });

  it("the promoter: its evidence, scans, stage ledgers and wake-ups, and the notifier's Sync records it catches up from", () => {
    const keys = [
      evidenceId('dev'),
      scanId('Shop/Web', `sha256:${'a'.repeat(64)}`),
      stageId('shop', 'prod'),
      promoteWakeKey('0123456789abcdef'),
      deploySyncKey('dev', 'shop/web'),
    ];
    for (const key of keys) expect(allowed('promoter', key), key).toBe(true);
    expect(allowed('promoter', 'drift-alert#prod')).toBe(false);
    expect(allowed('promoter', 'image-updater#abc')).toBe(false);
  });

  it('the notifier: its records of Syncs, storms and GitHub states, and nothing of the others', async () => {
    const event = { cluster: 'prod', sync: { namespace: 'shop', name: 'web' } };
    const keys = [
      syncItemId(event),
      stormItemId({ key: 'ApplyFailed|prod|spec.selector is immutable' } as never),
      commitItemId('prod', 'a'.repeat(40)),
      environmentItemId('prod'),
      ...(await keysSent((c) => new VersionedItems('State', c).get(syncItemId(event)))),
    ];
    for (const key of keys) expect(allowed('notifier', key), key).toBe(true);
    expect(allowed('notifier', 'drift-alert#prod')).toBe(false);
    expect(allowed('notifier', 'webhook-push#abc')).toBe(false);
  });

  it("a reconciler: its folder's status and alert state, and not another folder's", async () => {
    const folders = exampleConfig().resources.map((f) => f.name);
    expect(folders.length).toBeGreaterThan(1);
    for (const folder of folders) {
      const keys = [
        ...(await keysSent((c) => new DynamoDbResourcesStatusStore('State', c).load(folder))),
        ...(await keysSent((c) => new AlertStateStore('State', c).load(driftTarget(folder)))),
      ];
      expect(keys).toEqual([`resources#${folder}`, `drift-alert#resources/${folder}`]);
      for (const key of keys) expect(allowed(`reconciler-${folder}`, key), key).toBe(true);
      for (const other of folders.filter((f) => f !== folder)) {
        expect(allowed(`reconciler-${folder}`, `resources#${other}`)).toBe(false);
        expect(allowed(`reconciler-${folder}`, `drift-alert#resources/${other}`)).toBe(false);
      }
      expect(allowed(`reconciler-${folder}`, `resources#${folder}-other`)).toBe(false);
      expect(allowed(`reconciler-${folder}`, 'drift-alert#prod')).toBe(false);
    }
  });

  it("the hydrator: its config repo's render alert states, and not another repo's", async () => {
    const { url } = exampleConfig().configRepo;
    const keys = [
      ...(await keysSent((c) => new RenderAlertStore('State', url, c).load('clusters/prod'))),
      ...(await keysSent((c) => new RenderAlertStore('State', url, c).save('clusters/prod', { failing: null }))),
    ];
    expect(keys).toHaveLength(2);
    for (const key of keys) expect(allowed('hydrator', key), key).toBe(true);
    const elsewhere = await keysSent((c) =>
      new RenderAlertStore('State', 'https://github.com/acme/other.git', c).load('clusters/prod'),
    );
    expect(allowed('hydrator', elsewhere[0]!)).toBe(false);
    expect(allowed('hydrator', 'drift-alert#prod')).toBe(false);
  });

  it('reads IAM wildcards as IAM does', () => {
    expect(stringLike('drift-cache#prod#*', 'drift-cache#prod#12')).toBe(true);
    expect(stringLike('drift-cache#prod#*', 'drift-cache#prod')).toBe(false);
    expect(stringLike('resources#dns', 'resources#dns2')).toBe(false);
    expect(stringLike('a?c', 'abc')).toBe(true);
    expect(stringLike('a.c', 'abc')).toBe(false);
  });
});
