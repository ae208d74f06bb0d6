import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { tidemarkVersion } from '../core/version';
import { functionEnv } from '../functions/function-env';
import { AgentInstallOutput } from './agent-install-output';
import { exampleConfig } from './fixtures/deployment-config';
import { deployedEnvironment } from './fixtures/function-environment';
import { projectRoot } from './tidemark-function';
import { TidemarkStack } from './tidemark-stack';

// The whole stack from the annotated example, with the real handlers bundled by esbuild (six of them, one a child
// process each): built once for this file.
let app: App;
let stack: TidemarkStack;
let template: Template;
beforeAll(() => {
  app = new App({ outdir: mkdtempSync(join(tmpdir(), 'tidemark-cdk-')) });
  stack = new TidemarkStack(app, 'Tidemark', { config: exampleConfig() });
  template = Template.fromStack(stack);
}, 600_000);

function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>))
      .map(([id, reason]) => ({ path: c.node.path, id, reason })),
  );
}

describe('TidemarkStack', () => {
  it('has no unacknowledged cdk-nag AwsSolutions finding', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(
      report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath)}`),
    ).toEqual([]);
  });

  it('would see a finding: the same check on a queue without a dead-letter queue or TLS enforcement fails', () => {
    const probe = new Stack(new App(), 'Probe');
    new Queue(probe, 'Plain');
    const rules = new AwsSolutionsChecks(probe).validateScope(probe).violations.map((v) => v.ruleName);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']));
  });

  it('gives a reason for every acknowledged finding', () => {
    const acks = acknowledgements(app);
    expect(acks.length).toBeGreaterThan(0);
    for (const a of acks) expect(a.reason.length, `${a.id} at ${a.path}`).toBeGreaterThan(30);
    // Listed so a new acknowledgement shows up in review.
    // CDK stores a rule id without a known prefix as `Annotation::<id>`; cdk-nag matches it by the id.
    expect([...new Set(acks.map((a) => a.id.replace(/^Annotation::/, '').replace(/\[.*\]$/, '')))].sort()).toEqual([
      // A reconciler inside a VPC (PostgreSQL on RDS) needs Lambda's ENI policy (infra/tidemark-function.ts).
      'AwsSolutions-IAM4',
      'AwsSolutions-IAM5',
      'AwsSolutions-SMG4',
      // CDK's own, when a construct reads stack.availabilityZones (the reconciler's VPC, imported by its attributes).
      'CloudFormation-Validate::W3010',
    ]);
  });

  it("goes to the clusters' region", () => {
    expect(stack.region).toBe('us-east-1');
  });

  it('runs every function on Node.js 24 on arm64, bundled as ESM with source maps', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    // Image updater, webhook, drift scanner, notifier, hydrator, promoter, and a reconciler per folder under resources
    // (three in the example).
    expect(functions).toHaveLength(9);
    for (const f of functions) {
      expect(f.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Handler: 'index.handler' });
      expect(f.Properties.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
    }
  });

  it('gives each function the environment functions/function-env.ts reads, with secrets by name only', () => {
    const reconcilers = stack.reconcilers.map((r) => r.handler);
    for (const fn of [
      stack.imageUpdater.handler,
      stack.webhook.handler,
      stack.driftScanner.handler,
      stack.notifier.handler,
      stack.promoter!.handler,
      ...reconcilers,
    ]) {
      const raw = deployedEnvironment(stack, fn);
      const env = functionEnv(raw);
      expect(env.config).toEqual(exampleConfig());
      // The webhook reaches each cluster's queue and each folder's (`resources/<name>`); the image updater the clusters'.
      const queues = Object.keys(env.syncQueueUrls).sort();
      if (fn === stack.webhook.handler) {
        expect(queues).toEqual(['dev', 'prod', 'resources/databases', 'resources/dns', 'resources/parameters']);
      } else if (fn === stack.imageUpdater.handler || fn === stack.promoter!.handler) {
        expect(queues).toEqual(['dev', 'prod']);
      } else expect(queues).toEqual([]);
      // Names of secrets, never a value: nothing in the environment is a Secrets Manager dynamic reference.
      expect(JSON.stringify(raw)).not.toMatch(/resolve:secretsmanager/);
    }
    expect(functionEnv(deployedEnvironment(stack, stack.driftScanner.handler)).alertsTopicArn).toMatch(/AlertsTopic/);
    const notifier = functionEnv(deployedEnvironment(stack, stack.notifier.handler));
    expect(notifier).toMatchObject({
      alertsTopicArn: expect.stringMatching(/AlertsTopic/),
      flushQueueUrl: expect.stringMatching(/NotifierFlushQueue/),
      eventsDlqUrl: expect.stringMatching(/DeploymentEventsDeadLetterQueue/),
    });
  });

  it('grants nothing on all resources at once: no IAM statement has Resource "*" but the ECR token for chart pulls', () => {
    const documents = [
      ...Object.values(template.findResources('AWS::IAM::Policy')).map((p) => p.Properties.PolicyDocument),
      ...Object.values(template.findResources('AWS::IAM::Role')).flatMap((r) =>
        (r.Properties.Policies ?? []).map((p: { PolicyDocument: unknown }) => p.PolicyDocument),
      ),
    ];
    const statements = documents.flatMap((d) => d.Statement as { Action?: unknown; Resource?: unknown }[]);
    expect(statements.length).toBeGreaterThan(10);
    // ecr:GetAuthorizationToken has no resource-level permissions: IAM grants it on * only (infra/chart-pull.ts);
    // the pulls it allows are limited to charts.ecrRepositories by the statement beside it.
    const everything = statements.filter((s) => JSON.stringify(s.Resource) === '"*"');
    expect(everything.filter((s) => s.Action !== 'ecr:GetAuthorizationToken')).toEqual([]);
    expect(everything).toHaveLength(3); // the two agents and the drift scanner
  });

  it('alarms on the failures the handlers count instead of throwing, by the metrics they emit', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'))
      .filter((a) => a.Properties.Namespace === 'Tidemark')
      .map((a) => {
        const dims = Object.fromEntries(
          (a.Properties.Dimensions as { Name: string; Value: string }[])
            .map((d) => [d.Name, d.Value])
            .sort(([x], [y]) => x!.localeCompare(y!)),
        );
        return `${a.Properties.MetricName} ${JSON.stringify(dims)}`;
      });
    expect(alarms.sort()).toEqual(
      [
        'DeploymentEvents {"outcome":"failed","service":"notifier"}',
        'ImageEvents {"outcome":"failed","service":"image-updater"}',
        'ScanErrors {"cluster":"dev","service":"drift-scanner"}',
        'ScanErrors {"cluster":"prod","service":"drift-scanner"}',
        'WebhookDeliveries {"outcome":"error","service":"webhook"}',
        ...['databases', 'dns', 'parameters'].flatMap((f) => [
          `ReconcileFailures {"folder":"${f}","service":"reconciler-${f}"}`,
          `ScanErrors {"folder":"${f}","service":"reconciler-${f}"}`,
        ]),
      ].sort(),
    );
  });

  it('outputs the webhook URL, its secret, the sync and events queues of each cluster and what each install needs', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual(
      [
        'AgentInstallDev',
        'AgentInstallProd',
        'AlertsTopicArn',
        'EventsQueueUrldev',
        'EventsQueueUrlprod',
        'SyncQueueUrldev',
        'SyncQueueUrlprod',
        'WebhookSecretArn',
        'WebhookUrl',
      ].sort(),
    );
    expect(outputs.WebhookUrl!.Value).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/FunctionUrl/), 'FunctionUrl'] });
  });

  it("gives tidemark install each cluster's sync and events queues, agent role and the published image of this version", () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    // The tokens are CloudFormation's to fill in; the shape is the contract tidemark install parses.
    const install = jsonOf(outputs.AgentInstallProd!.Value);
    expect(Object.keys(install as object).sort()).toEqual(Object.keys(AgentInstallOutput.shape).sort());
    expect(install).toEqual({
      cluster: 'prod',
      syncQueueUrl: `{"Ref":"${stack.getLogicalId(stack.webhook.syncQueue('prod').queue.node.defaultChild as CfnElement)}"}`,
      eventsQueueUrl: `{"Ref":"${stack.getLogicalId(stack.deploymentEvents.queue('prod').node.defaultChild as CfnElement)}"}`,
      agentRoleArn: `{"Fn::GetAtt":["${stack.getLogicalId(stack.clusters[1]!.agentRole.node.defaultChild as CfnElement)}","Arn"]}`,
      image: `ghcr.io/tidemark-dev/tidemark-agent:${tidemarkVersion}`,
    });
  });
});

/** An output's `Fn::Join` of JSON, parsed, with each token (Ref, GetAtt) in place as its own JSON text. */
function jsonOf(value: unknown): unknown {
  const [, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  const tokens: string[] = [];
  const text = parts.map((p) => (typeof p === 'string' ? p : `@@${tokens.push(JSON.stringify(p)) - 1}@@`)).join('');
  return JSON.parse(text, (_key, v) =>
    typeof v === 'string' ? v.replace(/@@(\d+)@@/g, (_m, i: string) => tokens[Number(i)]!) : v,
  );
}

describe('infra/app.ts', () => {
  function synth(context: Record<string, string>) {
    const outdir = mkdtempSync(join(tmpdir(), 'tidemark-app-'));
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'infra', 'app.ts')], {
      cwd: projectRoot,
      encoding: 'utf8',
      // How the cdk CLI hands context and the output folder to an app.
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outdir },
    });
    return { code: r.status, stderr: r.stderr, outdir };
  }

  it('exits 2 naming the key and the fix when the config file is invalid, before building anything', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tidemark-config-')), 'bad.yaml');
    writeFileSync(
      file,
      readFileSync(join(projectRoot, 'tidemark.config.yaml'), 'utf8').replace(
        '- web',
        '- 123456789012.dkr.ecr.us-east-1.amazonaws.com/web',
      ),
    );
    const r = synth({ config: file });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${file}: images.ecrRepositories[0]: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web' is not an ECR repository name`,
    );
  });

  it('exits 2 when the config file named by the context does not exist', () => {
    const r = synth({ config: '/nonexistent/tidemark.config.yaml' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('/nonexistent/tidemark.config.yaml: cannot be read');
  });
});
