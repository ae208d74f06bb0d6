import * as z from '../zod';
import { ownerIdPattern } from './ownership';

/** The reconcilers that ship with Tidemark, by the name a folder's `reconciler` gives them. */
export const builtInReconcilers = ['route53', 'postgres'] as const;
export type BuiltInReconciler = (typeof builtInReconcilers)[number];

const reconcilerFile = /^(\.{1,2}\/)?[\w@./-]+\.(ts|mts|js|mjs)$/;

/**
 * `resources[]` of tidemark.config.yaml: a folder of the config repo whose `<Kind>.tidemark.dev/v1alpha1` declarations
 * one reconciler applies. Built from the config schema's own path and schedule rules (passed in, so the two files do
 * not import each other).
 */
export function resourceFolderSchema(rules: {
  repoPath: z.ZodMiniType<string, string>;
  scheduleExpression: z.ZodMiniType<string, string>;
}) {
  return z.strictObject({
    /** Names the folder's Lambda, its sync queue, its status (`resources#<name>`) and its alerts (`resources/<name>`). */
    name: z
      .string()
      .check(
        z.regex(/^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/, "must be a DNS label of at most 32 characters, such as 'dns'"),
      ),
    /** Folder of the config repo holding the declarations. */
    path: rules.repoPath,
    /** `route53`, `postgres`, or a file listed under `reconcilers` (`./reconcilers/github-repo.ts`). */
    reconciler: z.string().check(z.minLength(1)),
    /**
     * Written into every ownership marker this folder's reconciler writes, and required on an object before it is
     * changed or deleted. Choose it once: renaming the stack, this entry, the folder or the repository keeps it.
     */
    ownerId: z
      .string()
      .check(
        z.regex(
          ownerIdPattern,
          "must be 2–63 lower-case letters, digits, '.', '_' or '-', such as 'acme-prod-dns'. Choose it once: every ownership marker carries it",
        ),
      ),
    /** Owner ids whose objects this folder takes over (its own previous id, or another deployment handing over). */
    adoptOwnerIds: z._default(z.array(z.string().check(z.regex(ownerIdPattern, 'is not an owner id'))), []),
    /** Delete objects that left Git (only ones in the inventory that still carry this folder's marker). */
    prune: z._default(z.boolean(), true),
    /** The largest share of the inventory one reconcile may delete; more deletes nothing and says why. */
    maxPrunePercent: z._default(z.number().check(z.gte(0), z.lte(100)), 20),
    /** Let the drift scan put back what was changed outside Git (it always says what it reverted). */
    selfHeal: z._default(z.boolean(), false),
    /** How often the provider is compared with Git. @default schedules.driftScan */
    driftScan: z.optional(rules.scheduleExpression),
    /** The reconciler's own settings (Route 53: `hostedZoneIds`; PostgreSQL: the server and its admin secret). */
    settings: z._default(z.record(z.string(), z.unknown()), {}),
    /** Where the Lambda runs when it must reach something inside a VPC (an RDS instance). */
    network: z.optional(
      z.strictObject({
        vpcId: z.string().check(z.regex(/^vpc-[0-9a-f]{8,17}$/, "is not a VPC id such as 'vpc-0123456789abcdef0'")),
        subnetIds: z
          .array(z.string().check(z.regex(/^subnet-[0-9a-f]{8,17}$/, 'is not a subnet id')))
          .check(z.minLength(1)),
        securityGroupIds: z
          .array(z.string().check(z.regex(/^sg-[0-9a-f]{8,17}$/, 'is not a security group id')))
          .check(z.minLength(1)),
      }),
    ),
    /** For a reconciler of your own: the IAM statements its Lambda needs (built-in reconcilers derive theirs). */
    permissions: z._default(
      z.array(
        z
          .strictObject({
            actions: z
              .array(
                z
                  .string()
                  .check(z.regex(/^[a-z0-9-]+:[A-Za-z0-9*]+$/, "is not an IAM action such as 'ssm:PutParameter'")),
              )
              .check(z.minLength(1)),
            resources: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
            /**
             * Why the statement needs a wildcard (`*` in an action or a resource): cdk-nag reports every wildcard,
             * and the stack acknowledges this statement's with your reason.
             */
            reason: z.optional(z.string().check(z.minLength(20, 'must say in a sentence why the wildcard is needed'))),
          })
          .check(
            z.refine((p) => p.reason !== undefined || ![...p.actions, ...p.resources].some((x) => x.includes('*')), {
              message:
                "has a wildcard, so it needs a reason: say why in 'reason' (cdk-nag reports the wildcard with it), or name the resources",
              path: ['reason'],
            }),
          ),
      ),
      [],
    ),
  });
}

/** `reconcilers:` of tidemark.config.yaml: files of your own reconcilers, relative to the config file. */
export const reconcilerFilesSchema = z._default(
  z.array(
    z
      .string()
      .check(
        z.regex(
          reconcilerFile,
          "is not a reconciler file. Name a TypeScript or JavaScript file relative to the config, such as './reconcilers/github-repo.ts'",
        ),
      ),
  ),
  [],
);

export type ResourceFolderConfig = z.infer<ReturnType<typeof resourceFolderSchema>>;

/** A problem with `resources` that only the whole config shows, with its path in the config. */
export interface ResourcesConfigProblem {
  path: (string | number)[];
  message: string;
}

/**
 * Checks across entries: unique names and owner ids, folders that overlap neither each other nor a cluster's folder
 * (the agent would try to apply the declarations as Kubernetes objects), and files of your own that are listed.
 */
export function checkResourceFolders(config: {
  clusters: readonly { path: string }[];
  resources: readonly ResourceFolderConfig[];
  reconcilers: readonly string[];
}): ResourcesConfigProblem[] {
  const problems: ResourcesConfigProblem[] = [];
  const inside = (a: string, b: string) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
  config.resources.forEach((folder, i) => {
    const earlier = config.resources.slice(0, i);
    if (earlier.some((f) => f.name === folder.name)) {
      problems.push({
        path: ['resources', i, 'name'],
        message: `'${folder.name}' names two folders. Give each its own`,
      });
    }
    if (earlier.some((f) => f.ownerId === folder.ownerId)) {
      problems.push({
        path: ['resources', i, 'ownerId'],
        message: `'${folder.ownerId}' is the owner id of two folders, which would then change each other's objects. Give each its own`,
      });
    }
    const overlap = earlier.find((f) => inside(f.path, folder.path));
    if (overlap) {
      problems.push({
        path: ['resources', i, 'path'],
        message: `'${folder.path}' overlaps the folder of '${overlap.name}' ('${overlap.path}'). Give each reconciler a folder of its own`,
      });
    }
    const cluster = config.clusters.find((c) => inside(c.path, folder.path));
    if (cluster) {
      problems.push({
        path: ['resources', i, 'path'],
        message: `'${folder.path}' overlaps the cluster folder '${cluster.path}', whose agent would apply the declarations as Kubernetes objects. Move it outside, such as 'resources/${folder.name}'`,
      });
    }
    const builtIn = (builtInReconcilers as readonly string[]).includes(folder.reconciler);
    if (!builtIn && !config.reconcilers.includes(folder.reconciler)) {
      problems.push({
        path: ['resources', i, 'reconciler'],
        message: `'${folder.reconciler}' is neither a built-in reconciler (${builtInReconcilers.join(', ')}) nor listed under reconcilers. Add it there, so the CDK app bundles it`,
      });
    }
  });
  return problems;
}
