import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { functionEnv } from '../functions/function-env';
import { Alerts } from './alerts';
import { ClusterAccess, eksViewPolicyArn } from './cluster-access';
import { DriftScanner, driftScanDetailType } from './drift-scanner';
import { constructTestStack, exampleConfig, fixtureEntry } from './fixtures/deployment-config';
import { deployedEnvironment } from './fixtures/function-environment';
import { leadingKeysOf } from './fixtures/leading-keys';
import { State } from './state';
import { SyncQueue } from './sync-queue';

function scanner(overrides: { timeout?: Duration; noClusters?: boolean; readOnlySecretName?: string } = {}) {
  const example = exampleConfig();
  const config = overrides.readOnlySecretName
    ? { ...example, configRepo: { ...example.configRepo, readOnlySecretName: overrides.readOnlySecretName } }
    : example;
  const stack = constructTestStack();
  const clusters = config.clusters.map(
    (cluster) =>
      new ClusterAccess(stack, `Cluster-${cluster.name}`, {
        cluster,
        syncQueue: new SyncQueue(stack, `Sync-${cluster.name}`, { clusterName: cluster.name }),
      }),
  );
  const driftScanner = new DriftScanner(stack, 'DriftScanner', {
    config,
    clusters: overrides.noClusters ? [] : clusters,
    state: new State(stack, 'State'),
    alerts: new Alerts(stack, 'Alerts', { slackWebhookSecretName: 'tidemark/slack' }),
    configRepoSecret: Secret.fromSecretNameV2(stack, 'RepoSecret', config.configRepo.authSecretName),
    entry: fixtureEntry,
    timeout: overrides.timeout,
  });
  return { stack, driftScanner, template: Template.fromStack(stack) };
}

describe('DriftScanner', () => {
  it("may touch only each scanned cluster's alert state, drift cache and findings in the State table", () => {
    expect(leadingKeysOf(scanner().template)).toEqual([
      'drift-alert#dev',
      'drift-cache#dev',
      'drift-cache#dev#*',
      'drift-findings#dev',
      'drift-alert#prod',
      'drift-cache#prod',
      'drift-cache#prod#*',
      'drift-findings#prod',
    ]);
  });

  it('runs on the configured schedule with the drift-scan event, one scan at a time', () => {
    const { template } = scanner();
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(15 minutes)',
      Target: {
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DriftScannerHandlerFunction'), 'Arn'] },
        Input: Match.serializedJson(Match.objectLike({ source: 'aws.scheduler', 'detail-type': driftScanDetailType })),
        RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 300 },
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('drift'),
      ReservedConcurrentExecutions: 1,
      MemorySize: 1024,
      Timeout: 300,
    });
  });

  it('reads every cluster through a view access entry in the dry-run-only group, and may describe only those clusters', () => {
    const { template } = scanner();
    const entries = Object.values(template.findResources('AWS::EKS::AccessEntry'));
    expect(entries.map((e) => e.Properties.ClusterName)).toEqual(['acme-dev', 'acme-prod']);
    for (const e of entries) {
      expect(e.Properties.AccessPolicies).toEqual([{ PolicyArn: eksViewPolicyArn, AccessScope: { Type: 'cluster' } }]);
      // agent/deploy/drift-scanner lets this group dry-run (the drift oracle) and denies it every real write.
      expect(e.Properties.KubernetesGroups).toEqual(['tidemark:drift-scanner']);
      expect(e.Properties.PrincipalArn).toEqual({
        'Fn::GetAtt': [expect.stringMatching(/^DriftScannerHandlerRole/), 'Arn'],
      });
    }
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
      .filter((s) => [s.Action].flat().some((a) => a.startsWith('eks:')));
    expect(statements.map((s) => s.Action)).toEqual(['eks:DescribeCluster', 'eks:DescribeCluster']);
  });

  it('may publish alerts and read the Slack, config repo and digest key secrets, and receives the topic ARN', () => {
    const { stack, driftScanner, template } = scanner();
    const actions = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes('DriftScanner'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .flatMap((s: { Action: string | string[] }) => s.Action);
    expect(actions).toEqual(expect.arrayContaining(['sns:Publish', 'secretsmanager:GetSecretValue']));
    expect(actions.filter((a: string) => a === 'secretsmanager:GetSecretValue')).toHaveLength(3);
    expect(functionEnv(deployedEnvironment(stack, driftScanner.handler)).alertsTopicArn).toMatch(/AlertsTopic/);
  });

  it('reads the read-only config repo secret instead of the shared one when the config names it', () => {
    const secretsRead = (template: Template) =>
      JSON.stringify(
        Object.values(template.findResources('AWS::IAM::Policy'))
          .flatMap((p) => p.Properties.PolicyDocument.Statement)
          .filter((s: { Action: string | string[] }) => [s.Action].flat().includes('secretsmanager:GetSecretValue'))
          .map((s: { Resource: unknown }) => s.Resource),
      );
    // The shared secret also carries the image updater's write access; the scanner only fetches.
    expect(secretsRead(scanner().template)).toContain('secret:tidemark/config-repo-');
    const readOnly = secretsRead(scanner({ readOnlySecretName: 'tidemark/config-repo-read' }).template);
    expect(readOnly).toContain('secret:tidemark/config-repo-read-');
    expect(readOnly).not.toContain('secret:tidemark/config-repo-??????');
  });

  it("keys the drift cache's digests with a generated secret of its own, named in its environment", () => {
    const { stack, driftScanner, template } = scanner();
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ PasswordLength: 64, ExcludePunctuation: true }),
    });
    const env = functionEnv(deployedEnvironment(stack, driftScanner.handler));
    expect(env.driftCacheKeySecret).toMatch(/DriftCacheKey/);
  });

  it('refuses a timeout beyond what Lambda allows', () => {
    expect(() => scanner({ timeout: Duration.minutes(20) })).toThrow(
      'DriftScanner: timeout must be from 30 seconds to 15 minutes, but 20 minutes was given',
    );
  });

  it('refuses to be built with no clusters to scan', () => {
    expect(() => scanner({ noClusters: true })).toThrow('DriftScanner: clusters is empty, so there is nothing to scan');
  });
});
