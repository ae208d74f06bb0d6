/**
 * An example of a reconciler of your own, written against the SDK alone: SSM Parameter Store parameters declared in
 * Git (feature flags, endpoints, limits an application reads at start). Name it in tidemark.config.yaml and map a
 * folder to it:
 *
 *   reconcilers:
 *     - ./examples/reconcilers/ssm-parameter.ts
 *   resources:
 *     - name: parameters
 *       path: resources/parameters
 *       reconciler: ./examples/reconcilers/ssm-parameter.ts
 *       ownerId: acme-prod-parameters
 *       settings: { pathPrefix: /acme/shop/ }
 *       permissions: [ … the actions below, on parameter/acme/shop/* … ]
 *
 * and declare parameters in the folder:
 *
 *   apiVersion: tidemark.dev/v1alpha1
 *   kind: SsmParameter
 *   metadata: { name: checkout-timeout }
 *   spec: { name: /acme/shop/checkout/timeout-ms, value: "2500" }
 *
 * Tidemark does the rest: reads the declarations, keeps the inventory, refuses a prune that looks wrong, retries,
 * reports drift ("value 2500 → 9000") to Slack and SNS, and records status for `tidemark get resources`.
 *
 * Ownership is a tag, `tidemark.dev/owner` = the folder's owner id, set in the same call that creates a parameter. A
 * parameter without the tag was made outside Git and is never overwritten or deleted.
 */
import {
  AddTagsToResourceCommand,
  DeleteParameterCommand,
  GetParametersByPathCommand,
  ListTagsForResourceCommand,
  ParameterAlreadyExists,
  type Parameter,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { defineReconciler, diffFields, PermanentError, type ReconcileContext, z } from '../../sdk';

const ownerTag = 'tidemark.dev/owner';

const Settings = z.strictObject({
  /** Every declared parameter lives under this path; the Lambda's IAM policy names it. */
  pathPrefix: z.string().regex(/^\/[\w.-]+(\/[\w.-]+)*\/$/, "is not a parameter path such as '/acme/shop/'"),
});
type Settings = z.infer<typeof Settings>;

const Spec = z.strictObject({
  /** The parameter's full name, under the folder's pathPrefix. */
  name: z.string().regex(/^\/[\w./-]+$/, "is not a parameter name such as '/acme/shop/checkout/timeout-ms'"),
  value: z.string().min(1).max(4096),
});
type Spec = z.infer<typeof Spec>;

interface Actual {
  value: string;
}

type Ctx = ReconcileContext<Settings>;

const client = (ctx: Ctx) => ctx.memo('ssm:client', async () => new SSMClient({}));

/** Every parameter under the prefix, with its value: one paged call serves every declaration of the run. */
function parametersOf(ctx: Ctx): Promise<Map<string, Parameter>> {
  return ctx.memo('ssm:parameters', async () => {
    const ssm = await client(ctx);
    const out = new Map<string, Parameter>();
    let NextToken: string | undefined;
    do {
      const page = await ssm.send(
        new GetParametersByPathCommand({ Path: ctx.settings.pathPrefix, Recursive: true, NextToken }),
      );
      for (const p of page.Parameters ?? []) if (p.Name) out.set(p.Name, p);
      NextToken = page.NextToken;
    } while (NextToken);
    return out;
  });
}

async function ownerOf(name: string, ctx: Ctx): Promise<string | null> {
  const out = await (await client(ctx)).send(
    new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: name }),
  );
  return out.TagList?.find((t) => t.Key === ownerTag)?.Value ?? null;
}

export default defineReconciler<Spec, Actual, Settings>({
  kind: 'SsmParameter',
  schema: Spec,
  settings: Settings,
  identify: (spec) => spec.name,
  concurrency: 4,

  async observe(spec, ctx) {
    if (!spec.name.startsWith(ctx.settings.pathPrefix)) {
      throw new PermanentError(`${spec.name} is outside this folder's pathPrefix ${ctx.settings.pathPrefix}`);
    }
    const parameter = (await parametersOf(ctx)).get(spec.name);
    if (!parameter) return undefined;
    return { state: { value: parameter.Value ?? '' }, owner: await ownerOf(spec.name, ctx) };
  },

  plan(desired, actual) {
    return diffFields({ value: desired.value }, actual && { ...actual });
  },

  async apply(desired, actual, changes, ctx) {
    const ssm = await client(ctx);
    const parameter = { Name: desired.name, Value: desired.value, Type: 'String' as const };
    if (!actual) {
      // Created with its tag in one call, and never over a parameter someone made in the meantime.
      try {
        await ssm.send(new PutParameterCommand({ ...parameter, Tags: [{ Key: ownerTag, Value: ctx.ownerId }] }));
      } catch (error) {
        if (error instanceof ParameterAlreadyExists) throw new PermanentError(`${desired.name} was created outside Git meanwhile`);
        throw error;
      }
      return;
    }
    if (changes.length > 0) await ssm.send(new PutParameterCommand({ ...parameter, Overwrite: true }));
    if (actual.owner !== ctx.ownerId) {
      await ssm.send(
        new AddTagsToResourceCommand({
          ResourceType: 'Parameter',
          ResourceId: desired.name,
          Tags: [{ Key: ownerTag, Value: ctx.ownerId }],
        }),
      );
    }
  },

  async remove(last, _actual, ctx) {
    await (await client(ctx)).send(new DeleteParameterCommand({ Name: last.name }));
    return 'removed';
  },
});
