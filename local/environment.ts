import type { LocalPostgres } from './postgres';

/**
 * What `tidemark local up` started and how to reach it. Written to `<stateDir>/environment.json` by `up`, read by
 * `status`, `env`, `down`, the demo and the test harness, so every consumer sees the same endpoints.
 */
export interface LocalEnvironment {
  /** Folder holding data, logs and this state (`.cache/local` in the checkout unless TIDEMARK_LOCAL_DIR is set). */
  stateDir: string;
  kube: {
    /** https://127.0.0.1:PORT */
    server: string;
    /** A kubeconfig with the `admin` user (member of system:masters), usable by the stock kubectl. */
    kubeconfigPath: string;
    /** Bearer token of the admin user (also in the kubeconfig). */
    adminToken: string;
    caPath: string;
  };
  git: {
    /** Base URL of the smart-HTTP git server; a repo named `x` is `${url}/x.git`. */
    url: string;
    username: string;
    password: string;
    /** Folder of the bare repositories (GIT_PROJECT_ROOT). */
    root: string;
    /** The seeded example config repo (`examples/config-repo`). */
    exampleRepoUrl: string;
  };
  aws: {
    /** moto server endpoint; the AWS SDK v3 picks it up from AWS_ENDPOINT_URL. */
    endpoint: string;
    region: string;
    accessKeyId: string;
    secretAccessKey: string;
    /** Account id moto answers with. */
    accountId: string;
  };
  /** The PostgreSQL server the PostgreSQL reconciler and its tests use (local/postgres.ts). */
  postgres: LocalPostgres;
  slack: {
    /** Incoming-webhook URL to give to Tidemark. */
    webhookUrl: string;
    /** Control API of the receiver: GET /messages, DELETE /messages, POST /fail {status, times, retryAfter}. */
    controlUrl: string;
  };
  /**
   * CNCF distribution's OCI registry (basic auth, plain HTTP on loopback), standing in for ECR's Helm chart
   * repositories: `oci://${host}/charts/<name>`. Tests push the corpus charts there with `helm push` when they need them.
   */
  registry: { host: string; username: string; password: string };
  /**
   * The AWS resources `tidemark local up` creates in moto, named as the CDK stack would create them in AWS
   * (infra/): the image-event FIFO queue, one sync queue per cluster, the alerts topic with an SQS inbox subscribed
   * to it so tests and the demo can read alerts back, the State table, the ECR repository and the secrets.
   */
  resources: LocalResources;
  /** The environment the Lambda handlers get in AWS (functions/function-env.ts), pointing at these resources. */
  functionEnv: Record<string, string>;
  processes: LocalProcess[];
}

export interface LocalResources {
  tableName: string;
  imageEventsQueueUrl: string;
  imageEventsDlqUrl: string;
  syncQueueUrls: Record<string, string>;
  syncDlqUrls: Record<string, string>;
  /** Cluster → its deployment events queue (FIFO), which the agent's `--events-queue-url` names. */
  eventsQueueUrls: Record<string, string>;
  eventsDlqUrl: string;
  /** The notifier's delay queue (folded messages) and its dead-letter queue. */
  flushQueueUrl: string;
  flushDlqUrl: string;
  /** An SQS queue a rule on the default EventBridge bus feeds with every `Tidemark Deployment` event. */
  deploymentsInboxQueueUrl: string;
  /** The promoter's queue (deployment and scan events from the default bus, its wake-ups) and dead-letter queue. */
  promoterQueueUrl: string;
  promoterDlqUrl: string;
  alertsTopicArn: string;
  alertsInboxQueueUrl: string;
  ecrRepositoryUri: string;
  secrets: { configRepo: string; webhook: string; slack: string; driftCacheKey: string };
}

export interface LocalProcess {
  name: string;
  pid: number;
  logPath: string;
}

/** The webhook path of the environment's own Slack webhook URL; tests that need isolation use paths of their own. */
export const DEFAULT_SLACK_WEBHOOK_PATH = '/services/T000LOCAL/B000LOCAL/local-webhook';

/** Shell environment that points the AWS SDK, kubectl and git tooling at the local environment. */
export function exportsFor(env: LocalEnvironment): Record<string, string> {
  return {
    KUBECONFIG: env.kube.kubeconfigPath,
    AWS_ENDPOINT_URL: env.aws.endpoint,
    AWS_REGION: env.aws.region,
    AWS_DEFAULT_REGION: env.aws.region,
    AWS_ACCESS_KEY_ID: env.aws.accessKeyId,
    AWS_SECRET_ACCESS_KEY: env.aws.secretAccessKey,
    TIDEMARK_GIT_URL: env.git.url,
    TIDEMARK_GIT_USERNAME: env.git.username,
    TIDEMARK_GIT_PASSWORD: env.git.password,
    TIDEMARK_EXAMPLE_REPO_URL: env.git.exampleRepoUrl,
    TIDEMARK_SLACK_WEBHOOK_URL: env.slack.webhookUrl,
    TIDEMARK_SLACK_CONTROL_URL: env.slack.controlUrl,
    TIDEMARK_REGISTRY: env.registry.host,
    TIDEMARK_REGISTRY_USERNAME: env.registry.username,
    TIDEMARK_REGISTRY_PASSWORD: env.registry.password,
    TIDEMARK_POSTGRES_URL: env.postgres.url,
  };
}
