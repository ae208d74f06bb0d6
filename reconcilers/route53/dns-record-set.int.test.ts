import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../../test/support/local-env';
import { actions, testFolder } from '../../test/support/resources';
import route53 from './index';

// Against moto's Route 53: a hosted zone of this file's own, record sets declared as files, the engine run as the
// reconciler Lambda runs it. What Route 53 holds is read back with the plain SDK, never through the reconciler.

const route53Client = new Route53Client({});
let zone: string;
let zoneId: string;

const record = (name: string, fields: string) => `
apiVersion: tidemark.dev/v1alpha1
kind: DnsRecordSet
metadata:
  name: ${name}
spec:
  zone: ${zone}
${fields
  .trim()
  .split('\n')
  .map((l) => `  ${l}`)
  .join('\n')}
`;

async function zoneRecords(): Promise<ResourceRecordSet[]> {
  const out = await route53Client.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
  return out.ResourceRecordSets ?? [];
}
const find = async (name: string, type: string) =>
  (await zoneRecords()).find((r) => r.Name === `${name}.` && r.Type === type);

async function handMade(name: string, type: string, values: string[], ttl = 300): Promise<void> {
  await route53Client.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: {
        Changes: [
          {
            Action: 'UPSERT',
            ResourceRecordSet: {
              Name: name,
              Type: type as never,
              TTL: ttl,
              ResourceRecords: values.map((Value) => ({ Value })),
            },
          },
        ],
      },
    }),
  );
}

beforeAll(async () => {
  zone = `${uniqueName('r53')}.example.com`;
  const created = await route53Client.send(new CreateHostedZoneCommand({ Name: zone, CallerReference: zone }));
  zoneId = created.HostedZone!.Id!.replace('/hostedzone/', '');
});

describe('DnsRecordSet', () => {
  it('creates each declared record set with an ownership record, and changes nothing on the next run', async () => {
    const dns = testFolder(route53, {
      name: 'dns',
      ownerId: uniqueName('owner'),
      settings: { hostedZoneIds: [zoneId] },
    });
    const files = {
      'api.yaml': record('api', 'name: api\ntype: A\nttl: 300\nvalues: [192.0.2.10, 192.0.2.11]'),
      'www.yaml': record('www', `name: www.${zone}\ntype: CNAME\nvalues: [api.${zone}]`),
      'spf.yaml': record('spf', 'name: "@"\ntype: TXT\nvalues: ["v=spf1 -all"]'),
    };
    expect(actions(await dns.reconcile(files))).toEqual({
      [`DnsRecordSet/api.${zone} A`]: 'created',
      [`DnsRecordSet/www.${zone} CNAME`]: 'created',
      [`DnsRecordSet/${zone} TXT`]: 'created',
    });
    expect((await find(`api.${zone}`, 'A'))?.ResourceRecords?.map((r) => r.Value).sort()).toEqual([
      '192.0.2.10',
      '192.0.2.11',
    ]);
    expect((await find(`${zone}`, 'TXT'))?.ResourceRecords).toEqual([{ Value: '"v=spf1 -all"' }]);
    expect((await find(`_tidemark.a.api.${zone}`, 'TXT'))?.ResourceRecords).toEqual([
      { Value: `"heritage=tidemark,tidemark/owner=${dns.folder.ownerId}"` },
    ]);
    const again = await dns.reconcile(files);
    expect(again.outcome.kind).toBe('applied');
    expect(Object.values(actions(again))).toEqual(['unchanged', 'unchanged', 'unchanged']);
  });

  it('updates a record set whose declaration changed, and says which field: ttl 300 → 60', async () => {
    const dns = testFolder(route53, {
      name: 'dns',
      ownerId: uniqueName('owner'),
      settings: { hostedZoneIds: [zoneId] },
    });
    await dns.reconcile({ 'ttl.yaml': record('ttl', 'name: ttl\ntype: A\nvalues: [192.0.2.20]') });
    const result = await dns.reconcile({
      'ttl.yaml': record('ttl', 'name: ttl\ntype: A\nttl: 60\nvalues: [192.0.2.20]'),
    });
    expect(result.outcome).toMatchObject({
      kind: 'applied',
      results: [
        { key: `DnsRecordSet/ttl.${zone} A`, action: 'updated', changes: [{ path: 'ttl', from: 300, to: 60 }] },
      ],
    });
    expect((await find(`ttl.${zone}`, 'A'))?.TTL).toBe(60);
    // Git changed it, so applying it is no drift to report.
    expect(result.findings).toEqual([]);
  });

  it('prunes a record set that left Git, with its ownership record, and never one it did not create', async () => {
    const dns = testFolder(route53, {
      name: 'dns',
      ownerId: uniqueName('owner'),
      settings: { hostedZoneIds: [zoneId] },
    });
    await handMade(`legacy.${zone}`, 'A', ['198.51.100.1']);
    const keep = { 'keep.yaml': record('keep', 'name: keep\ntype: A\nvalues: [192.0.2.30]') };
    await dns.reconcile({ ...keep, 'gone.yaml': record('gone', 'name: gone\ntype: A\nvalues: [192.0.2.31]') });
    const pruned = await dns.reconcile(keep);
    expect(actions(pruned)).toEqual({
      [`DnsRecordSet/keep.${zone} A`]: 'unchanged',
      [`DnsRecordSet/gone.${zone} A`]: 'deleted',
    });
    expect(await find(`gone.${zone}`, 'A')).toBeUndefined();
    expect(await find(`_tidemark.a.gone.${zone}`, 'TXT')).toBeUndefined();
    expect(await find(`legacy.${zone}`, 'A')).toBeDefined();
    expect(dns.inventory.entries.map((e) => e.key)).toEqual([`DnsRecordSet/keep.${zone} A`]);
  });

  it('leaves a record set made outside Git alone, as a conflict, until its declaration asks to adopt it', async () => {
    const dns = testFolder(route53, {
      name: 'dns',
      ownerId: uniqueName('owner'),
      settings: { hostedZoneIds: [zoneId] },
    });
    await handMade(`console.${zone}`, 'A', ['198.51.100.7'], 120);
    const declared = record('console', 'name: console\ntype: A\nvalues: [192.0.2.40]');
    const refused = await dns.reconcile({ 'console.yaml': declared });
    expect(refused.outcome).toMatchObject({
      kind: 'failed',
      results: [{ action: 'conflict', message: expect.stringContaining("without Tidemark's ownership marker") }],
    });
    expect((await find(`console.${zone}`, 'A'))?.ResourceRecords).toEqual([{ Value: '198.51.100.7' }]);
    expect(refused.findings).toEqual([expect.objectContaining({ kind: 'foreign' })]);
    // Nothing of the conflict entered the inventory, so removing the declaration cannot prune the record.
    expect(dns.inventory.entries).toEqual([]);
    expect(actions(await dns.reconcile({}))).toEqual({});
    expect(await find(`console.${zone}`, 'A')).toBeDefined();

    const adopting = declared.replace(
      'metadata:\n  name: console',
      'metadata:\n  name: console\n  annotations:\n    tidemark.dev/adopt: "true"',
    );
    expect(actions(await dns.reconcile({ 'console.yaml': adopting }))).toEqual({
      [`DnsRecordSet/console.${zone} A`]: 'adopted',
    });
    expect((await find(`console.${zone}`, 'A'))?.ResourceRecords).toEqual([{ Value: '192.0.2.40' }]);
    expect((await find(`_tidemark.a.console.${zone}`, 'TXT'))?.ResourceRecords?.[0]?.Value).toContain(
      dns.folder.ownerId,
    );
  });

  it("never changes another owner id's record set; adoptOwnerIds hands it over, as after changing the ownerId", async () => {
    const old = testFolder(route53, {
      name: 'old',
      ownerId: uniqueName('owner'),
      settings: { hostedZoneIds: [zoneId] },
    });
    const files = { 'moved.yaml': record('moved', 'name: moved\ntype: A\nvalues: [192.0.2.50]') };
    await old.reconcile(files);
    const renamed = testFolder(route53, {
      name: 'new',
      ownerId: uniqueName('owner'),
      settings: { hostedZoneIds: [zoneId] },
    });
    expect((await renamed.reconcile(files)).outcome).toMatchObject({
      results: [{ action: 'conflict', message: expect.stringContaining(`'${old.folder.ownerId}'`) }],
    });
    renamed.folder.adoptOwnerIds = [old.folder.ownerId];
    const adoptedRun = await renamed.reconcile(files);
    expect(actions(adoptedRun)).toEqual({ [`DnsRecordSet/moved.${zone} A`]: 'adopted' });
    expect((await find(`_tidemark.a.moved.${zone}`, 'TXT'))?.ResourceRecords?.[0]?.Value).toContain(
      renamed.folder.ownerId,
    );
    // The old folder, should it run again, no longer owns it: its prune leaves it alone.
    expect(
      actions(await old.reconcile({ 'other.yaml': record('other', 'name: other\ntype: A\nvalues: [192.0.2.51]') })),
    ).toMatchObject({
      [`DnsRecordSet/moved.${zone} A`]: 'skipped',
    });
    expect(await find(`moved.${zone}`, 'A')).toBeDefined();
  });

  it('deletes nothing when the folder is empty or prune would exceed maxPrunePercent, and says why', async () => {
    const dns = testFolder(route53, {
      name: 'dns',
      ownerId: uniqueName('owner'),
      maxPrunePercent: 40,
      settings: { hostedZoneIds: [zoneId] },
    });
    const files = Object.fromEntries(
      ['p1', 'p2', 'p3', 'p4', 'p5'].map((n, i) => [
        `${n}.yaml`,
        record(n, `name: ${n}\ntype: A\nvalues: [192.0.2.${60 + i}]`),
      ]),
    );
    await dns.reconcile(files);
    const empty = await dns.reconcile({});
    expect(empty.outcome).toMatchObject({
      kind: 'prune-refused',
      message: expect.stringContaining('declares nothing'),
    });
    const { 'p1.yaml': p1, 'p2.yaml': _p2, ...rest } = files;
    const tooMany = await dns.reconcile({ 'p1.yaml': p1! });
    expect(tooMany.outcome).toMatchObject({
      kind: 'prune-refused',
      message: expect.stringContaining('4 of 5 objects (80%), more than maxPrunePercent 40%'),
    });
    for (const n of ['p1', 'p2', 'p3', 'p4', 'p5']) expect(await find(`${n}.${zone}`, 'A')).toBeDefined();
    expect(dns.inventory.entries).toHaveLength(5);
    const fine = await dns.reconcile({ ...rest, 'p1.yaml': p1! });
    expect(actions(fine)[`DnsRecordSet/p2.${zone} A`]).toBe('deleted');
  });

  it('applies nothing from a folder with a broken declaration, and names the file, line and key', async () => {
    const dns = testFolder(route53, {
      name: 'dns',
      ownerId: uniqueName('owner'),
      settings: { hostedZoneIds: [zoneId] },
    });
    await dns.reconcile({ 'a.yaml': record('a', 'name: a\ntype: A\nvalues: [192.0.2.70]') });
    const before = await zoneRecords();
    const broken = await dns.reconcile({
      'a.yaml': record('a', 'name: a\ntype: A\nttl: 30\nvalues: [192.0.2.70]'),
      'b.yaml': record('b', 'name: b\ntype: A\nttl: -5\nvalues: [192.0.2.71]'),
      'c.yaml': record('c', 'name: c\ntype: AAA\nvalues: [x]'),
      'd.yaml': record('d', 'name: d\ntype: A\ntll: 5\nvalues: [192.0.2.72]'),
    });
    expect(broken.outcome.kind).toBe('invalid');
    const problems = broken.outcome.kind === 'invalid' ? broken.outcome.problems : [];
    expect(problems.map((p) => `${p.source.file}:${p.source.line} ${p.key}`)).toEqual([
      'resources/dns/b.yaml:10 spec.ttl',
      'resources/dns/c.yaml:9 spec.type',
      'resources/dns/d.yaml:10 spec.tll',
    ]);
    expect(await zoneRecords()).toEqual(before);
    expect(dns.inventory.entries).toHaveLength(1);
  });

  it('writes alias record sets', async () => {
    const dns = testFolder(route53, {
      name: 'dns',
      ownerId: uniqueName('owner'),
      settings: { hostedZoneIds: [zoneId] },
    });
    const alias = record(
      'lb',
      `name: lb\ntype: A\nalias: { dnsName: my-lb-1.us-east-1.elb.amazonaws.com, hostedZoneId: Z35SXDOTRQ7X7K }`,
    );
    expect(actions(await dns.reconcile({ 'lb.yaml': alias }))).toEqual({ [`DnsRecordSet/lb.${zone} A`]: 'created' });
    expect((await find(`lb.${zone}`, 'A'))?.AliasTarget).toMatchObject({
      DNSName: 'my-lb-1.us-east-1.elb.amazonaws.com',
    });
    expect(Object.values(actions(await dns.reconcile({ 'lb.yaml': alias })))).toEqual(['unchanged']);
  });

  it('refuses a zone the folder may not change, for that record set alone', async () => {
    const dns = testFolder(route53, {
      name: 'dns',
      ownerId: uniqueName('owner'),
      settings: { hostedZoneIds: [zoneId] },
    });
    const result = await dns.reconcile({
      'ok.yaml': record('ok', 'name: ok\ntype: A\nvalues: [192.0.2.80]'),
      'elsewhere.yaml': record('elsewhere', 'name: x\ntype: A\nvalues: [192.0.2.81]').replace(
        `zone: ${zone}`,
        'zone: example.org',
      ),
    });
    expect(result.outcome).toMatchObject({
      kind: 'failed',
      message: expect.stringContaining('zone example.org is not one this folder may change'),
    });
    expect(actions(result)[`DnsRecordSet/ok.${zone} A`]).toBe('created');
  });
});

describe('DnsRecordSet drift', () => {
  it('finds a hand change field by field, and self-heal reverts it and says so', async () => {
    const dns = testFolder(route53, {
      name: 'dns',
      ownerId: uniqueName('owner'),
      settings: { hostedZoneIds: [zoneId] },
    });
    const files = { 'drift.yaml': record('drift', 'name: drift\ntype: A\nttl: 300\nvalues: [192.0.2.90]') };
    await dns.reconcile(files);
    expect((await dns.scan(files)).findings).toEqual([]);
    await handMade(`drift.${zone}`, 'A', ['192.0.2.90'], 60);
    const scanned = await dns.scan(files);
    expect(scanned.findings).toEqual([
      { kind: 'modified', key: `DnsRecordSet/drift.${zone} A`, changes: [{ path: 'ttl', from: 60, to: 300 }] },
    ]);
    expect((await find(`drift.${zone}`, 'A'))?.TTL).toBe(60);
    dns.folder.selfHeal = true;
    const healed = await dns.scan(files);
    expect(healed).toMatchObject({ healed: 1, findings: [{ kind: 'modified', reverted: true }] });
    expect((await find(`drift.${zone}`, 'A'))?.TTL).toBe(300);
    expect((await dns.scan(files)).findings).toEqual([]);
  });

  it('reports a deleted record set as missing, and a reconcile that recreates it as drift it reverted', async () => {
    const dns = testFolder(route53, {
      name: 'dns',
      ownerId: uniqueName('owner'),
      settings: { hostedZoneIds: [zoneId] },
    });
    const files = { 'del.yaml': record('del', 'name: del\ntype: A\nvalues: [192.0.2.91]') };
    await dns.reconcile(files);
    const existing = (await find(`del.${zone}`, 'A'))!;
    await route53Client.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: { Changes: [{ Action: 'DELETE', ResourceRecordSet: existing }] },
      }),
    );
    expect((await dns.scan(files)).findings).toEqual([{ kind: 'missing', key: `DnsRecordSet/del.${zone} A` }]);
    const reconciled = await dns.reconcile(files);
    expect(actions(reconciled)).toEqual({ [`DnsRecordSet/del.${zone} A`]: 'created' });
    expect(reconciled.findings).toEqual([{ kind: 'missing', key: `DnsRecordSet/del.${zone} A`, reverted: true }]);
  });

  it('reports a record set that left Git while prune is off as an orphan', async () => {
    const dns = testFolder(route53, {
      name: 'dns',
      ownerId: uniqueName('owner'),
      prune: false,
      settings: { hostedZoneIds: [zoneId] },
    });
    await dns.reconcile({ 'orphan.yaml': record('orphan', 'name: orphan\ntype: A\nvalues: [192.0.2.92]') });
    const kept = await dns.reconcile({});
    expect(actions(kept)).toEqual({ [`DnsRecordSet/orphan.${zone} A`]: 'skipped' });
    expect((await dns.scan({})).findings).toEqual([{ kind: 'orphan', key: `DnsRecordSet/orphan.${zone} A` }]);
  });
});
