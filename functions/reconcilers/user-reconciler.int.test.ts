import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GetParameterCommand, ListTagsForResourceCommand, SSMClient } from '@aws-sdk/client-ssm';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDeploymentConfig } from '../../core/config/parse-deployment-config';
import { esbuildOptions } from '../../infra/function-code';
import { ResourceReconciler } from '../../infra/resource-reconciler';
import { projectRoot } from '../../infra/tidemark-function';
import { scheduledEvent } from '../../local/invoke';
import { createGitRepo, type TestGitRepo } from '../../test/support/git-repo';
import { uniqueName } from '../../test/support/local-env';

// A reconciler of the user's own (examples/reconcilers/ssm-parameter.ts, named in the config as
// `reconciler: ./reconcilers/ssm-parameter.ts`) as it is deployed: the CDK app generates its handler, esbuild bundles
// it with the stack's own options, and a fresh Node process loads the bundle and calls `handler` as Lambda does,
// against moto's SSM and DynamoDB and a config repo on the real git server.

const folderName = uniqueName('params');
const prefix = `/${folderName}/`;
const ssm = new SSMClient({});
let repo: TestGitRepo;
let bundle: string;
let config: string;

const parameter = (name: string, value: string) => `apiVersion: tidemark.dev/v1alpha1
kind: SsmParameter
metadata: { name: ${name} }
spec: { name: "${prefix}${name}", value: "${value}" }
`;

/** One invocation in a new process, as a new Lambda container would run it; returns what the handler returned. */
function invoke(event: unknown): { kind: string; outcome: { kind: string } } {
  const script = `
    const { handler } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
    const context = { functionName: 'reconciler-${folderName}', awsRequestId: 'test', getRemainingTimeInMillis: () => 30000 };
    const result = await handler(JSON.parse(process.env.EVENT), context);
    process.stdout.write('\\nRESULT ' + JSON.stringify(result) + '\\n');
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: {
      ...process.env,
      EVENT: JSON.stringify(event),
      TIDEMARK_CONFIG: config,
      TIDEMARK_RESOURCES_FOLDER: folderName,
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 60_000,
  }).toString();
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`the handler printed no result:\n${out}`);
  return JSON.parse(line.slice('RESULT '.length));
}

beforeAll(async () => {
  repo = await createGitRepo('user-reconciler', {
    'resources/params/timeout.yaml': parameter('timeout-ms', '2500'),
  });
  config = JSON.stringify({
    configRepo: { provider: 'git', url: repo.url, branch: 'main', authSecretName: 'tidemark/config-repo' },
    clusters: [{ name: 'dev', eksClusterName: 'local', region: 'us-east-1', path: 'clusters/dev' }],
    images: { ecrRepositories: ['web'] },
    reconcilers: ['./reconcilers/ssm-parameter.ts'],
    resources: [
      {
        name: folderName,
        path: 'resources/params',
        reconciler: './reconcilers/ssm-parameter.ts',
        ownerId: `acme-${folderName}`,
        settings: { pathPrefix: prefix },
      },
    ],
  });
  // The config file sits in examples/, so its `./reconcilers/…` is examples/reconcilers/ssm-parameter.ts.
  const folder = parseDeploymentConfig(config, 'tidemark.config.yaml').resources[0]!;
  const entry = ResourceReconciler.entryFor(folder, join(projectRoot, 'examples'));
  bundle = join(mkdtempSync(join(tmpdir(), 'user-reconciler-')), 'index.mjs');
  await build(esbuildOptions(join(projectRoot, entry), bundle, false));
}, 120_000);

describe("a user's reconciler, bundled and invoked as its Lambda", () => {
  it('reconciles its folder on the schedule: the parameter is created with the owner tag', async () => {
    const result = invoke(scheduledEvent(`arn:aws:scheduler:us-east-1:123456789012:schedule/default/${folderName}`));
    expect(result).toMatchObject({ kind: 'reconciled', outcome: { kind: 'applied' } });
    const stored = await ssm.send(new GetParameterCommand({ Name: `${prefix}timeout-ms` }));
    expect(stored.Parameter?.Value).toBe('2500');
    const tags = await ssm.send(
      new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: `${prefix}timeout-ms` }),
    );
    expect(tags.TagList).toEqual([{ Key: 'tidemark.dev/owner', Value: `acme-${folderName}` }]);

    // The next scheduled run, with nothing changed in Git or in SSM, scans and finds nothing.
    const scan = invoke(scheduledEvent(`arn:aws:scheduler:us-east-1:123456789012:schedule/default/${folderName}`));
    expect(scan).toMatchObject({ kind: 'scanned', outcome: { kind: 'scanned', report: { findings: [] } } });
  }, 180_000);
});
