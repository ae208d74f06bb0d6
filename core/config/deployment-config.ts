import { defaultNotificationSettings, NotificationSettings } from '../notify/notification-settings';
import { checkResourceFolders, reconcilerFilesSchema, resourceFolderSchema } from '../resources/resources-settings';
import * as z from '../zod';
import { ConfigError } from './config-error';

/**
 * `tidemark.config.yaml`: the one file that describes a Tidemark deployment. The CDK app, the local environment and
 * the Lambda functions all validate it with {@link validateDeploymentConfig} (the file is read by
 * `parseDeploymentConfig` in parse-deployment-config.ts); the functions receive it as JSON in the `TIDEMARK_CONFIG`
 * environment variable (it holds secret *names*, never secret values), so no part re-parses it differently.
 */

const awsRegion = z
  .string()
  .check(
    z.regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/, "is not an AWS region. Use a region code such as 'eu-west-1'"),
  );

const repoPath = z.pipe(
  z.string().check(
    z.minLength(1),
    z.refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), {
      message: "must be a path inside the config repo, without a leading '/' or '..'. Write it as 'clusters/dev'",
    }),
  ),
  z.transform((p: string) => p.replace(/\/+$/, '')),
);

/** An EventBridge Scheduler expression: `rate(15 minutes)` or `cron(0/15 * * * ? *)`. */
const scheduleExpression = z
  .string()
  .check(
    z.regex(
      /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$/,
      "is not a schedule expression. Use 'rate(15 minutes)' or 'cron(0/15 * * * ? *)'",
    ),
  );

export const ConfigRepoSettings = z.object({
  /** `github` uses the GitHub REST API (Git Data API, pull requests); `git` any smart-HTTP git server. */
  provider: z.enum(
    ['github', 'git'],
    "is not a provider Tidemark knows. Use 'github' (the GitHub REST API) or 'git' (any smart-HTTP git server)",
  ),
  /** HTTPS clone URL of the config repo. */
  url: z.url("is not a URL. Use the repo's HTTPS clone URL, such as 'https://github.com/acme/config.git'"),
  branch: z._default(z.string().check(z.minLength(1)), 'main'),
  /**
   * Secrets Manager secret holding the credentials: `{"token": "…"}` (GitHub token or git password with `username`),
   * or `{"appId", "privateKey", "installationId"}` for a GitHub App.
   */
  authSecretName: z.string().check(z.minLength(1)),
  /**
   * Secrets Manager secret the drift scanner fetches the repo with instead of `authSecretName`, in the same format: a
   * token that can only read (GitHub: a fine-grained token with Contents and Metadata: read), so the one part that
   * never writes holds no credential that can. Unset: the scanner reads `authSecretName`.
   */
  readOnlySecretName: z.optional(z.string().check(z.minLength(1))),
});

/**
 * The config repo as a part that only reads it sees it (the drift scanner): with `readOnlySecretName`, if set, as its
 * credentials secret.
 */
export function readOnlyConfigRepo<T extends { authSecretName: string; readOnlySecretName?: string }>(repo: T): T {
  return { ...repo, authSecretName: repo.readOnlySecretName ?? repo.authSecretName };
}

export const ClusterSettings = z.object({
  /** Tidemark's name for the cluster; used in alerts, queue names and the `tidemark.dev/sync` label. */
  name: z
    .string()
    .check(
      z.regex(/^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/, "must be a DNS label of at most 32 characters, such as 'prod'"),
    ),
  /** The EKS cluster's name in AWS. */
  eksClusterName: z.string().check(z.minLength(1)),
  region: awsRegion,
  /** Folder of the config repo that this cluster's agent applies. */
  path: repoPath,
  /**
   * The branch that folder is read from, when it is not `configRepo.branch`: a rendered branch of
   * `.tidemark/render.yaml` (such as `rendered/prod`). The hydrator sends this cluster a sync request after each
   * rendered commit there. @default configRepo.branch
   */
  branch: z.optional(z.string().check(z.minLength(1))),
  /** Namespace the agent runs in. */
  agentNamespace: z._default(z.string(), 'tidemark-system'),
  /** ServiceAccount of the agent (for the EKS Pod Identity association). */
  agentServiceAccount: z._default(z.string(), 'tidemark-agent'),
});

/** ECR's rule for repository names (CreateRepository), plus an optional trailing `*` for a name prefix. */
export const ecrRepositoryNamePattern = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*(\/?\*)?$/;
/** A repository ARN; the name (or prefix) is group 1. */
export const ecrRepositoryArnPattern = /^arn:aws[a-z-]*:ecr:[a-z0-9-]+:\d{12}:repository\/(.+)$/;

/** An image URI's registry part; the name rule alone would accept `123456789012.dkr.ecr.us-east-1.amazonaws.com/web`. */
export const ecrRegistryPrefixPattern = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\//;

const ecrRepository = z.string().check(
  z.refine(
    (entry) =>
      !ecrRegistryPrefixPattern.test(entry) &&
      ecrRepositoryNamePattern.test(ecrRepositoryArnPattern.exec(entry)?.[1] ?? entry),
    {
      message:
        "is not an ECR repository name, prefix or ARN. Write a name such as 'web' (not the image URI), a prefix such as 'team/*', or an ARN such as 'arn:aws:ecr:us-east-1:123456789012:repository/web'",
    },
  ),
);

export const ImagesSettings = z.object({
  /**
   * ECR repositories whose pushes the image updater receives, as names (`web`), name prefixes (`team/*`) or ARNs.
   * The policies in the config repo's `.tidemark/images.yaml` decide what a push changes; this list only narrows the
   * EventBridge rule and the `ecr:DescribeImages` grant.
   */
  ecrRepositories: z.array(ecrRepository).check(z.minLength(1, 'must list at least one ECR repository to watch')),
});

export const ChartSettings = z.object({
  /**
   * ECR repositories holding Helm charts (OCI) that Syncs and the drift scanner pull, as names (`charts/web`), name
   * prefixes (`charts/*`) or ARNs. The agent's Pod Identity role and the drift scanner's role get
   * `ecr:GetAuthorizationToken` and the pull actions on these only; a chart elsewhere in ECR fails with ChartAuthFailed.
   */
  ecrRepositories: z._default(z.array(ecrRepository), []),
});

export const AlertSettings = z.object({
  /** E-mail addresses subscribed to the alerts topic. */
  snsEmails: z._default(z.array(z.email('is not an e-mail address')), []),
  /** Secrets Manager secret whose value is the Slack incoming-webhook URL. Omit to send no Slack messages. */
  slackWebhookSecretName: z.optional(z.string().check(z.minLength(1))),
  /**
   * Whether the CDK stack creates the Slack secret (empty; you then put the URL in it) or references an existing one
   * of that name. Only used when `slackWebhookSecretName` is set.
   */
  createSlackWebhookSecret: z._default(z.boolean(), true),
  /** Hours after which an unchanged drift is announced again. */
  renotifyHours: z._default(z.number().check(z.positive()), 24),
});

export const ScheduleSettings = z.object({
  driftScan: z._default(scheduleExpression, 'rate(15 minutes)'),
  imageCatchUp: z._default(scheduleExpression, 'rate(10 minutes)'),
});

export const ThresholdSettings = z.object({
  /** An agent whose last applied revision lags the branch head for longer than this is reported. */
  revisionLagMinutes: z._default(z.number().check(z.positive()), 10),
});

export const WebhookSettings = z.object({
  /** Secrets Manager secret holding the webhook secret (GitHub `X-Hub-Signature-256` key or GitLab token). */
  secretName: z._default(z.string().check(z.minLength(1)), 'tidemark/webhook'),
  /** Whether the CDK stack creates the secret with a generated value, or references an existing one of that name. */
  createSecret: z._default(z.boolean(), true),
});

/** `registry/path/name[:tag][@sha256:…]`, as `docker pull` takes it. */
const imageReference = z
  .string()
  .check(
    z.regex(
      /^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/,
      "is neither 'published' nor an image reference. Write 'published', { build: { platform: linux/amd64 } }, or a reference such as '123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror/tidemark-agent:0.1.0'",
    ),
  );

/**
 * The agent image `tidemark install` deploys (the stack's install output carries it to the cluster):
 * - `published`: the release of this version (`ghcr.io/tidemark-dev/tidemark-agent:<version>`);
 * - `{ build: { platform } }`: built from agent/Dockerfile at deploy time into the CDK assets repository (ECR), for
 *   teams that run only images they built;
 * - an image reference: your mirror of the published image.
 */
export const AgentImageSetting = z.union(
  [
    z.literal('published'),
    z.strictObject({
      build: z.strictObject({ platform: z._default(z.enum(['linux/amd64', 'linux/arm64']), 'linux/amd64') }),
    }),
    imageReference,
  ],
  {
    error:
      "is not an agent image setting. Use 'published', { build: { platform: linux/amd64 } } (or linux/arm64), or an image reference such as 'registry.example.com/tidemark-agent:0.1.0'",
  },
);

export const DeploymentConfigSchema = z
  .strictObject({
    configRepo: ConfigRepoSettings,
    clusters: z.array(ClusterSettings).check(z.minLength(1, 'must list at least one cluster')),
    images: ImagesSettings,
    charts: z._default(ChartSettings, { ecrRepositories: [] }),
    alerts: z._default(AlertSettings, { snsEmails: [], renotifyHours: 24, createSlackWebhookSecret: true }),
    schedules: z._default(ScheduleSettings, { driftScan: 'rate(15 minutes)', imageCatchUp: 'rate(10 minutes)' }),
    thresholds: z._default(ThresholdSettings, { revisionLagMinutes: 10 }),
    webhook: z._default(WebhookSettings, { secretName: 'tidemark/webhook', createSecret: true }),
    agentImage: z._default(AgentImageSetting, 'published'),
    /** Folders of declarations that reconcilers apply beyond Kubernetes (Route 53, PostgreSQL, your own). */
    resources: z._default(z.array(resourceFolderSchema({ repoPath, scheduleExpression })), []),
    /** Files of your own reconcilers, relative to this file; the CDK app bundles each into its folder's Lambda. */
    reconcilers: reconcilerFilesSchema,
    /** Deployment events: routing to channels, folding, GitHub statuses and Deployments, EventBridge (core/notify). */
    notifications: z._default(NotificationSettings, defaultNotificationSettings),
  })
  .check(
    z.superRefine((config, ctx) => {
      for (const problem of checkResourceFolders(config)) ctx.addIssue({ code: 'custom', ...problem });
      const bytes = lambdaEnvironmentBytes(config);
      if (bytes > lambdaEnvironmentLimit) {
        ctx.addIssue({
          code: 'custom',
          path: [],
          message: `the functions' environment would be about ${bytes} bytes (this config as JSON, plus a sync queue URL per cluster), more than the ${lambdaEnvironmentLimit} Lambda allows. Shorten it: a prefix such as 'team/*' covers many ECR repositories, a list address many e-mail subscribers; or split the clusters across stacks`,
        });
      }
      config.notifications.routes.forEach((route, i) => {
        route.channels.forEach((channel, j) => {
          if (channel === 'slack' && config.alerts.slackWebhookSecretName === undefined) {
            ctx.addIssue({
              code: 'custom',
              path: ['notifications', 'routes', i, 'channels', j],
              message:
                "names the alerts Slack webhook, but alerts.slackWebhookSecretName is not set. Set it, or name a webhook secret of this route's own as {slack: SECRET_NAME}",
            });
          }
        });
      });
      const seen = new Set<string>();
      config.clusters.forEach((cluster, i) => {
        if (seen.has(cluster.name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['clusters', i, 'name'],
            message: `'${cluster.name}' is used by two clusters. Give each cluster its own name`,
          });
        }
        seen.add(cluster.name);
        // One CDK stack serves one region: EKS access entries and Pod Identity associations are regional resources.
        const first = config.clusters[0]!;
        if (cluster.region !== first.region) {
          ctx.addIssue({
            code: 'custom',
            path: ['clusters', i, 'region'],
            message: `'${cluster.region}' differs from clusters[0].region '${first.region}', and one deployment serves one region. Write one config file per region and deploy each with 'cdk deploy -c config=FILE -c stackName=NAME'`,
          });
        }
      });
    }),
  );

/** Lambda's limit on the total size of a function's environment variables. */
const lambdaEnvironmentLimit = 4096;

/**
 * What a function's environment takes (functions/function-env.ts): the config as JSON, each cluster's sync queue URL
 * (at most about 140 bytes as JSON: region, account and a generated queue name), and the other variables (~400).
 */
function lambdaEnvironmentBytes(config: { clusters: unknown[] }): number {
  return new TextEncoder().encode(JSON.stringify(config)).length + 140 * config.clusters.length + 400;
}

export type DeploymentConfig = z.infer<typeof DeploymentConfigSchema>;
export type ClusterConfig = DeploymentConfig['clusters'][number];

/** `clusters[0].region` from zod's path array. */
function keyOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (key, part) => (typeof part === 'number' ? `${key}[${part}]` : key ? `${key}.${String(part)}` : String(part)),
    '',
  );
}

/** The value at a zod issue path, or undefined when the path does not exist in the input. */
function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let node = raw;
  for (const part of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[part];
  }
  return node;
}

/** Validates an already-parsed config object; throws a {@link ConfigError} naming the first bad key. */
export function validateDeploymentConfig(raw: unknown, source?: string): DeploymentConfig {
  const result = DeploymentConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const key = [source, keyOf(issue.path) || '(top level)'].filter(Boolean).join(': ');
  const [message, ...fix] = issue.message.split('. ');
  // "is not an AWS region" reads better with the value in front: "'eu-west' is not an AWS region".
  const value = valueAt(raw, issue.path);
  if (issue.code === 'invalid_type' && value === undefined) {
    throw new ConfigError(
      key,
      `is missing (expected ${issue.expected})`,
      'Add it; the annotated tidemark.config.yaml shows every key',
      {
        cause: result.error,
      },
    );
  }
  const problem =
    message?.startsWith('is ') && (typeof value === 'string' || typeof value === 'number')
      ? `${JSON.stringify(value).replace(/^"|"$/g, "'")} ${message}`
      : message;
  throw new ConfigError(
    key,
    problem ?? issue.message,
    fix.join('. ') || 'See the annotated tidemark.config.yaml for the expected shape',
    { cause: result.error },
  );
}

/**
 * Reads the config that the CDK stack (or the local runner) placed in `TIDEMARK_CONFIG` of `env`, which the caller
 * passes (`functionEnv` passes the process's): core reads no environment of its own.
 */
export function deploymentConfigFromEnv(env: Readonly<Record<string, string | undefined>>): DeploymentConfig {
  const json = env.TIDEMARK_CONFIG;
  if (!json) {
    throw new ConfigError(
      'TIDEMARK_CONFIG',
      'is not set',
      'Deploy with the CDK app, which sets it, or export the JSON of tidemark.config.yaml',
    );
  }
  try {
    return validateDeploymentConfig(JSON.parse(json));
  } catch (e) {
    if (e instanceof SyntaxError) {
      throw new ConfigError('TIDEMARK_CONFIG', 'is not JSON', 'Set it to the JSON form of tidemark.config.yaml', {
        cause: e,
      });
    }
    throw e;
  }
}
