import { Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { Alerts } from './alerts';
import { constructTestStack } from './fixtures/deployment-config';

describe('Alerts', () => {
  it('is a KMS-encrypted topic, TLS only, with a subscription per e-mail address', () => {
    const stack = constructTestStack();
    new Alerts(stack, 'Alerts', { emails: ['ops@example.com', 'oncall@example.com'] });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AlertsKey'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.resourceCountIs('AWS::SNS::Subscription', 2);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('lets CloudWatch alarms use the topic key, since they publish to the topic', () => {
    const stack = constructTestStack();
    new Alerts(stack, 'Alerts');
    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
  });

  it('creates the Slack secret empty, with a description of what to put in it', () => {
    const stack = constructTestStack();
    new Alerts(stack, 'Alerts', { slackWebhookSecretName: 'tidemark/slack' });
    const secrets = Template.fromStack(stack).findResources('AWS::SecretsManager::Secret');
    const secret = Object.values(secrets)[0]!;
    expect(secret.Properties.Name).toBe('tidemark/slack');
    expect(secret.Properties.Description).toMatch(/incoming-webhook URL/);
    expect(secret.Properties).not.toHaveProperty('GenerateSecretString');
    expect(secret.Properties).not.toHaveProperty('SecretString');
  });

  it('references an existing Slack secret by name instead of creating it when asked', () => {
    const stack = constructTestStack();
    const alerts = new Alerts(stack, 'Alerts', {
      slackWebhookSecretName: 'team/slack',
      createSlackWebhookSecret: false,
    });
    Template.fromStack(stack).resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(stack.resolve(alerts.slackWebhookSecret!.secretArn)).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:us-east-1:123456789012:secret:team/slack']],
    });
  });

  it('has no Slack secret when Slack is not configured', () => {
    const stack = constructTestStack();
    const alerts = new Alerts(stack, 'Alerts');
    expect(alerts.slackWebhookSecret).toBeUndefined();
    Template.fromStack(stack).resourceCountIs('AWS::SecretsManager::Secret', 0);
  });

  it('grants sending as publish on the topic, use of its key and reading the Slack secret, nothing more', () => {
    const stack = constructTestStack();
    const alerts = new Alerts(stack, 'Alerts', { slackWebhookSecretName: 'tidemark/slack' });
    const role = new Role(stack, 'Sender', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    alerts.grantSend(role);
    const policy = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))[0]!;
    const statements = policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[];
    expect(statements.flatMap((s) => s.Action)).toEqual(
      expect.arrayContaining(['sns:Publish', 'kms:Decrypt', 'kms:GenerateDataKey*', 'secretsmanager:GetSecretValue']),
    );
    expect(statements.every((s) => s.Resource !== '*')).toBe(true);
  });

  it('rejects an e-mail address that is not one, naming it', () => {
    const stack = constructTestStack();
    expect(() => new Alerts(stack, 'Alerts', { emails: ['ops-at-example.com'] })).toThrow(
      "Alerts: emails contains 'ops-at-example.com', which is not an e-mail address. Write it as 'ops@example.com'",
    );
  });
});
