import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { beforeAll, describe, expect, it } from 'vitest';
import { localEnv, uniqueName } from '../../test/support/local-env';

// `tidemark reconcile-resources` and `tidemark get resources` as a user runs them: the real CLI in a process of its
// own, in a checkout-like folder with tidemark.config.yaml, against moto's Route 53 and the State table.

const cli = resolve(import.meta.dirname, '../bin.js');
const route53 = new Route53Client({});
let work: string;
let zone: string;
let zoneId: string;
const folder = uniqueName('cli-dns');

const tidemark = (...args: string[]) => {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: work, encoding: 'utf8', env: process.env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

const recordSet = (name: string, ttl: number) => `apiVersion: tidemark.dev/v1alpha1
kind: DnsRecordSet
metadata: { name: ${name} }
spec: { zone: ${zone}, name: ${name}, type: A, ttl: ${ttl}, values: [192.0.2.7] }
`;

beforeAll(async () => {
  zone = `${folder}.example.com`;
  zoneId = (
    await route53.send(new CreateHostedZoneCommand({ Name: zone, CallerReference: zone }))
  ).HostedZone!.Id!.replace('/hostedzone/', '');
  work = mkdtempSync(join(tmpdir(), 'tidemark-cli-resources-'));
  mkdirSync(join(work, 'resources/dns'), { recursive: true });
  writeFileSync(
    join(work, 'tidemark.config.yaml'),
    `configRepo: { provider: git, url: https://git.example.com/config.git, authSecretName: tidemark/config-repo }
clusters: [{ name: dev, eksClusterName: dev, region: us-east-1, path: clusters/dev }]
images: { ecrRepositories: [web] }
resources:
  - name: ${folder}
    path: resources/dns
    reconciler: route53
    ownerId: acme-${folder}
    maxPrunePercent: 50
    settings: { hostedZoneIds: [${zoneId}] }
`,
  );
  writeFileSync(join(work, 'resources/dns/api.yaml'), recordSet('api', 300));
  writeFileSync(join(work, 'resources/dns/www.yaml'), recordSet('www', 300));
});

describe('tidemark reconcile-resources', () => {
  it('prints the plan with --dry-run and changes nothing', async () => {
    const out = tidemark(
      'reconcile-resources',
      'resources/dns',
      '--dry-run',
      '--table',
      localEnv().resources.tableName,
    );
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain(`DnsRecordSet/api.${zone} A`);
    expect(out.stdout).toMatch(/create +ttl 300, values \["192\.0\.2\.7"\]/);
    expect(out.stdout).toContain('Plan: 2 to create; nothing was changed');
    const records = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
    expect(records.ResourceRecordSets?.map((r) => r.Type).sort()).toEqual(['NS', 'SOA']);
  });

  it('applies, records the status that tidemark get resources shows, and plans a change and a deletion', async () => {
    const table = localEnv().resources.tableName;
    const applied = tidemark('reconcile-resources', 'resources/dns', '--table', table);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('2 created');

    const listed = tidemark('get', 'resources', '--table', table);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${folder} +resources/dns +True +ReconciliationSucceeded +local +2`));
    const detail = tidemark('get', 'resources', folder, '--table', table);
    expect(detail.stdout).toContain('Ready=True ReconciliationSucceeded: Applied revision local: 2 created');
    expect(detail.stdout).toMatch(
      new RegExp(`DnsRecordSet/www\\.${folder}\\.example\\.com A +created +resources/dns/www\\.yaml:1`),
    );

    await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: [
            {
              Action: 'UPSERT',
              ResourceRecordSet: { Name: `api.${zone}`, Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.7' }] },
            },
          ],
        },
      }),
    );
    execFileSync('rm', [join(work, 'resources/dns/www.yaml')]);
    const plan = tidemark('reconcile-resources', 'resources/dns', '--dry-run', '--table', table);
    expect(plan.stdout).toMatch(
      new RegExp(`DnsRecordSet/api\\.${folder}\\.example\\.com A +update +ttl 60 → 300; \\(changed outside Git\\)`),
    );
    expect(plan.stdout).toMatch(new RegExp(`DnsRecordSet/www\\.${folder}\\.example\\.com A +delete`));
    expect(plan.stdout).toContain('Plan: 1 to update, 1 to delete; nothing was changed');
  });

  it('names the file, line and key of a broken declaration, applies nothing and exits 1', () => {
    writeFileSync(join(work, 'resources/dns/bad.yaml'), recordSet('bad', 300).replace('type: A', 'type: Q'));
    const out = tidemark('reconcile-resources', 'resources/dns', '--table', localEnv().resources.tableName);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('resources/dns/bad.yaml:4: spec.type: must be one of A, AAAA');
    expect(out.stderr).toContain('nothing was applied or deleted');
    execFileSync('rm', [join(work, 'resources/dns/bad.yaml')]);
  });

  it('says which folder it cannot map, with the ones it knows', () => {
    const out = tidemark('reconcile-resources', 'elsewhere', '--dry-run');
    expect(out.code).toBe(2);
    expect(out.stderr).toContain(
      `elsewhere is not the path of one folder under resources (known: ${folder} (resources/dns))`,
    );
  });
});

describe('tidemark get resources', () => {
  it('exits 2 naming the table it cannot read and what to check, without a stack trace', () => {
    const out = tidemark('get', 'resources', '--table', `${folder}-no-such-table`);
    expect(out.code).toBe(2);
    expect(out.stderr.trim()).toBe(
      `tidemark: cannot read the State table ${folder}-no-such-table: Requested resource not found. Check --table (the stack output StateTableName), the AWS region and credentials`,
    );
  });
});
