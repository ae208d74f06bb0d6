import { Validations } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { type CfnSecret, type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { secretsManagerKey, skipCheckov } from './checkov-skip';

export interface AlertsProps {
  /**
   * E-mail addresses subscribed to the alerts topic. Each receives a confirmation mail from AWS and gets nothing
   * until the link in it is followed.
   * @default - no e-mail subscriptions; other subscribers can be added to `topic`
   */
  readonly emails?: string[];
  /**
   * Secrets Manager secret whose value is the Slack incoming-webhook URL.
   * @default - no Slack messages are sent
   */
  readonly slackWebhookSecretName?: string;
  /**
   * Create the Slack secret (empty, with a description saying what to put in it) rather than reference an existing
   * one by name. Creating fails when a secret of that name already exists.
   * @default true
   */
  readonly createSlackWebhookSecret?: boolean;
}

/**
 * Where Tidemark's alerts go: an SNS topic encrypted with a customer-managed key (e-mail subscribers, and the target of
 * every CloudWatch alarm), and the Slack webhook secret. The secret is passed to functions by name; they read it at
 * run time, so its value never appears in the template or in an environment variable.
 */
export class Alerts extends Construct {
  readonly topic: Topic;
  readonly key: Key;
  /** The Slack webhook secret, when Slack is configured. */
  readonly slackWebhookSecret?: ISecret;

  constructor(scope: Construct, id: string, props: AlertsProps = {}) {
    super(scope, id);
    const emails = props.emails ?? [];
    const invalid = emails.find((e) => !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(e));
    if (invalid !== undefined) {
      throw new Error(
        `Alerts: emails contains '${invalid}', which is not an e-mail address. Write it as 'ops@example.com'`,
      );
    }

    this.key = new Key(this, 'Key', {
      description: 'Encrypts the Tidemark alerts topic',
      enableKeyRotation: true,
    });
    // CloudWatch alarms publish to the topic, so the alarm service must be able to use its key (an AWS-managed SNS
    // key could not be shared with it at all; that is why this key is customer-managed).
    this.key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');

    this.topic = new Topic(this, 'Topic', {
      displayName: 'Tidemark alerts',
      masterKey: this.key,
      enforceSSL: true,
    });
    for (const email of emails) this.topic.addSubscription(new EmailSubscription(email));

    if (props.slackWebhookSecretName !== undefined) {
      if (props.createSlackWebhookSecret ?? true) {
        const secret = new Secret(this, 'SlackWebhookSecret', {
          secretName: props.slackWebhookSecretName,
          description:
            'Tidemark: the Slack incoming-webhook URL (https://hooks.slack.com/services/...) as the plain secret value. ' +
            'Created empty; set it with `aws secretsmanager put-secret-value`.',
        });
        // Created empty (CloudFormation allows a secret without a value): a generated random string would look like
        // a value and fail only when the first alert is sent.
        (secret.node.defaultChild as CfnSecret).addPropertyDeletionOverride('GenerateSecretString');
        Validations.of(secret).acknowledge({
          id: 'AwsSolutions-SMG4',
          reason: 'A Slack webhook URL is issued by Slack and rotated there; Secrets Manager has no rotation for it.',
        });
        skipCheckov(secret, secretsManagerKey);
        this.slackWebhookSecret = secret;
      } else {
        this.slackWebhookSecret = Secret.fromSecretNameV2(this, 'SlackWebhookSecret', props.slackWebhookSecretName);
      }
    }
  }

  /** Lets a function send alerts: publish to the topic and read the Slack webhook URL. */
  grantSend(grantee: IGrantable): void {
    this.topic.grantPublish(grantee);
    if (Construct.isConstruct(grantee.grantPrincipal)) {
      Validations.of(grantee.grantPrincipal).acknowledge({
        id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        reason: 'Publishing to an encrypted topic needs GenerateDataKey* on its key; the statement names that one key.',
      });
    }
    this.slackWebhookSecret?.grantRead(grantee);
  }
}
