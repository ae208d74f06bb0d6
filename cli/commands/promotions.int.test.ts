import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VersionedItems } from '../../adapters/state/versioned-items';
import { deploymentEvent } from '../../core/notify/deployment-event';
import { recordDeploymentEvent } from '../../engine/promotion/promotion-records';
import { localEnv, uniqueName } from '../../test/support/local-env';

// `tidemark promotions` as a user runs it: a checkout on disk, the evidence in moto's State table.

const repository = '123456789012.dkr.ecr.us-east-1.amazonaws.com/web';
const digest = `sha256:${'d'.repeat(64)}`;

function checkout(dev: string, prod: string, pipeline = 'web'): string {
  const dir = mkdtempSync(join(tmpdir(), 'tidemark-promotions-'));
  mkdirSync(join(dir, '.tidemark'));
  writeFileSync(
    join(dir, '.tidemark/images.yaml'),
    `policies:\n  - { name: web-prod, repository: ${repository}, strategy: { semver: ">=1.0.0" }, update: { paths: [clusters/prod] } }\n`,
  );
  writeFileSync(
    join(dir, '.tidemark/promotions.yaml'),
    `pipelines:\n  - name: ${pipeline}\n    stages:\n      - { name: dev, cluster: ${dev} }\n      - { name: prod, cluster: ${prod}, policies: [web-prod], gates: { soak: 1h } }\n`,
  );
  return dir;
}

const tidemark = (...args: string[]) =>
  spawnSync(process.execPath, ['cli/bin.js', 'promotions', ...args], { encoding: 'utf8', timeout: 60_000 });

describe('tidemark promotions', () => {
  it('prints each candidate per stage and the gate that holds it, and the same as JSON', async () => {
    const dev = uniqueName('dev');
    // A pipeline of this test's own: the stage ledger in the shared State table is per pipeline.
    const pipeline = uniqueName('web');
    const dir = checkout(dev, uniqueName('prod'), pipeline);
    const table = localEnv().resources.tableName;
    await recordDeploymentEvent(
      new VersionedItems(table),
      deploymentEvent({
        at: new Date(Date.now() - 10 * 60_000).toISOString(),
        cluster: dev,
        sync: { namespace: 'tidemark-system', name: 'dev' },
        repo: 'https://git.example.com/config.git',
        revision: 'e'.repeat(40),
        kind: 'deployed',
        reason: 'ReconciliationSucceeded',
        images: [{ name: `${repository}:1.4.0`, digest }],
      }),
    );
    const text = tidemark(dir, '--table', table);
    expect(text.stderr).toBe('');
    expect(text.status).toBe(0);
    const [header, row] = text.stdout.trim().split('\n');
    expect(header).toMatch(/^PIPELINE\s+STAGE\s+FROM\s+POLICY\s+CANDIDATE\s+STATE\s+WHY$/);
    expect(row).toMatch(
      /^web-[a-z0-9]+\s+prod\s+dev\s+web-prod\s+1\.4\.0@sha256:dddddddddddd\s+waiting\s+soak: healthy in dev for 10m(\d+s)? of 1h$/,
    );
    const json = JSON.parse(tidemark(dir, '--table', table, '--output', 'json').stdout);
    expect(json.pipelines[0].stages[1].candidates[0]).toMatchObject({ state: 'waiting', candidate: { digest } });
  });

  it('exits 2 naming file, line and key of an invalid promotions file', () => {
    const dir = checkout('dev', 'prod');
    writeFileSync(join(dir, '.tidemark/promotions.yaml'), 'pipelines:\n  - name: web\n    stages: []\n');
    const r = tidemark(dir, '--table', localEnv().resources.tableName);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      'tidemark: .tidemark/promotions.yaml:3: pipelines[0].stages: must list at least two stages: where a candidate is proven, and where it goes\n',
    );
  });
});
