import { type Change, type ResourceRecordSet, Route53Client } from '@aws-sdk/client-route-53';
import { defineReconciler, diffFields, PermanentError, type ReconcileContext, z } from '../../sdk';
import { allowedZones, ZoneWriter, zoneRecords } from './hosted-zone';
import { normalName, ownerOf, ownershipRecordName, ownershipValue, qualify, txtWireValue } from './record-names';

/** The folder's `settings` for Route 53. */
export const Route53Settings = z.strictObject({
  /**
   * The hosted zones this folder may change. The Lambda's IAM policy names these and no others, and a declaration in
   * any other zone fails.
   */
  hostedZoneIds: z
    .array(
      z.string().regex(/^(\/?hostedzone\/)?[A-Z0-9]{1,32}$/, "is not a hosted zone id such as 'Z0123456789ABCDEFGHIJ'"),
    )
    .min(1, 'must name at least one hosted zone'),
});
export type Route53Settings = z.infer<typeof Route53Settings>;

const recordTypes = ['A', 'AAAA', 'CNAME', 'TXT', 'MX', 'SRV', 'CAA', 'NS', 'PTR', 'DS', 'HTTPS', 'SVCB'] as const;

/** `spec` of a `DnsRecordSet.tidemark.dev/v1alpha1`. */
export const DnsRecordSetSpec = z
  .strictObject({
    /** The hosted zone's DNS name, `example.com`: one of the folder's `hostedZoneIds`. */
    zone: z.string().min(1),
    /** `api`, `api.example.com` or `@` for the zone apex; `*.api` for a wildcard. */
    name: z.string().min(1),
    type: z.enum(recordTypes, `must be one of ${recordTypes.join(', ')}`),
    /** Seconds. Not for an alias, whose TTL is its target's. @default 300 */
    ttl: z.number().int().min(0).max(2_147_483_647).optional(),
    /** The values, as in a zone file; TXT values without quotes are quoted for you. */
    values: z.array(z.string().min(1)).min(1).optional(),
    /** An alias to an AWS resource (a load balancer, a CloudFront distribution, another record of the zone). */
    alias: z
      .strictObject({
        dnsName: z.string().min(1),
        hostedZoneId: z.string().min(1),
        evaluateTargetHealth: z.boolean().default(false),
      })
      .optional(),
  })
  .superRefine((spec, ctx) => {
    if ((spec.values === undefined) === (spec.alias === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['values'], message: 'give either values or alias, not both nor neither' });
    }
    if (spec.alias && spec.ttl !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['ttl'], message: "an alias takes its target's TTL; remove ttl" });
    }
    if (spec.alias && !['A', 'AAAA', 'CNAME'].includes(spec.type)) {
      ctx.addIssue({ code: 'custom', path: ['type'], message: 'an alias is an A, AAAA or CNAME record set' });
    }
    const fqdn = qualify(spec.name, spec.zone);
    const apex = fqdn === normalName(spec.zone);
    if (apex && (spec.type === 'NS' || spec.type === 'CNAME')) {
      ctx.addIssue({
        code: 'custom',
        path: ['type'],
        message:
          spec.type === 'NS'
            ? "the zone apex's NS record set is Route 53's own. Declare NS record sets for delegated names below the apex"
            : 'DNS allows no CNAME at the zone apex. Use an alias A record set there',
      });
    }
    if (spec.type === 'CNAME' && spec.values && spec.values.length > 1) {
      ctx.addIssue({ code: 'custom', path: ['values'], message: 'a CNAME has exactly one value' });
    }
    if (ownershipRecordName(fqdn, spec.type).length > 253) {
      ctx.addIssue({
        code: 'custom',
        path: ['name'],
        message: 'is too long to carry an ownership record (253 characters in all)',
      });
    }
  });
export type DnsRecordSetSpec = z.infer<typeof DnsRecordSetSpec>;

/** A record set as compared: the fields a declaration controls, in one form on both sides. */
interface Comparable extends Record<string, unknown> {
  ttl?: number;
  values?: string[];
  alias?: { dnsName: string; hostedZoneId: string; evaluateTargetHealth: boolean };
}

/** What observe keeps: the comparable form, plus the exact record sets Route 53 holds, which a DELETE must repeat. */
interface Actual {
  comparable: Comparable;
  record: ResourceRecordSet;
  marker: ResourceRecordSet | undefined;
}

type Ctx = ReconcileContext<Route53Settings>;

function client(ctx: Ctx): Promise<Route53Client> {
  return ctx.memo('route53:client', async () => new Route53Client({}));
}

async function zoneOf(spec: DnsRecordSetSpec, ctx: Ctx) {
  const zones = await ctx.memo('route53:zones', async () =>
    allowedZones(await client(ctx), ctx.settings.hostedZoneIds),
  );
  const zone = zones.get(normalName(spec.zone));
  if (!zone) {
    throw new PermanentError(
      `zone ${spec.zone} is not one this folder may change (${[...zones.values()].map((z) => `${z.name} ${z.id}`).join(', ')}). Add its id to the folder's settings.hostedZoneIds`,
    );
  }
  return zone;
}

function comparableOf(spec: DnsRecordSetSpec): Comparable {
  if (spec.alias) {
    return {
      alias: {
        dnsName: normalName(spec.alias.dnsName),
        hostedZoneId: spec.alias.hostedZoneId.replace(/^\/?hostedzone\//, ''),
        evaluateTargetHealth: spec.alias.evaluateTargetHealth,
      },
    };
  }
  const values = (spec.values ?? []).map((v) => (spec.type === 'TXT' ? txtWireValue(v) : normalValue(spec.type, v)));
  return { ttl: spec.ttl ?? 300, values: [...values].sort() };
}

function comparableOfRecord(record: ResourceRecordSet): Comparable {
  if (record.AliasTarget) {
    return {
      alias: {
        dnsName: normalName(record.AliasTarget.DNSName ?? ''),
        hostedZoneId: record.AliasTarget.HostedZoneId ?? '',
        evaluateTargetHealth: record.AliasTarget.EvaluateTargetHealth ?? false,
      },
    };
  }
  const values = (record.ResourceRecords ?? []).map((r) => normalValue(record.Type ?? '', r.Value ?? ''));
  return { ttl: record.TTL, values: values.sort() };
}

/** Host names inside values compare without case or the trailing dot: `www.example.com.` is `www.example.com`. */
function normalValue(type: string, value: string): string {
  return ['CNAME', 'NS', 'PTR', 'MX', 'SRV'].includes(type) ? value.replace(/\.$/, '').toLowerCase() : value;
}

function recordSetOf(spec: DnsRecordSetSpec, fqdn: string): ResourceRecordSet {
  const c = comparableOf(spec);
  return c.alias
    ? {
        Name: `${fqdn}.`,
        Type: spec.type,
        AliasTarget: {
          DNSName: c.alias.dnsName,
          HostedZoneId: c.alias.hostedZoneId,
          EvaluateTargetHealth: c.alias.evaluateTargetHealth,
        },
      }
    : { Name: `${fqdn}.`, Type: spec.type, TTL: c.ttl, ResourceRecords: (c.values ?? []).map((Value) => ({ Value })) };
}

/**
 * Route 53 record sets declared in Git: `DnsRecordSet.tidemark.dev/v1alpha1`.
 *
 * Ownership: every record set Tidemark writes gets an ownership record, the TXT record
 * `_tidemark.<type>.<name>` = `"heritage=tidemark,tidemark/owner=<ownerId>"`, written in the same change batch as the
 * record set itself (Route 53 applies a batch atomically), so no record set of ours exists without its marker. A record
 * set without one was made outside Git and is never changed or deleted, unless its declaration asks to adopt it
 * (`tidemark.dev/adopt: "true"`). Writes are UPSERTs of the whole record set: the window between the run's listing
 * and its write is a second or two, and a change made inside it is overwritten, then found by the next scan. (A DELETE
 * of the observed values plus a CREATE would refuse such a change instead; moto 5.2.5, which the tests run against,
 * refuses a CREATE that repeats an earlier one, so that form could not be tested.)
 */
export const dnsRecordSet = defineReconciler<DnsRecordSetSpec, Actual, Route53Settings>({
  kind: 'DnsRecordSet',
  schema: DnsRecordSetSpec,
  settings: Route53Settings,
  identify: (spec) => `${qualify(spec.name, spec.zone)} ${spec.type}`,
  // Observe is one shared listing per zone and apply one shared batch: many in flight cost few calls.
  concurrency: 64,

  async observe(spec, ctx) {
    const zone = await zoneOf(spec, ctx);
    const records = await ctx.memo(`route53:records:${zone.id}`, async () => zoneRecords(await client(ctx), zone.id));
    const fqdn = qualify(spec.name, spec.zone);
    const record = records.get(`${fqdn} ${spec.type}`);
    if (!record) return undefined;
    const marker = records.get(`${ownershipRecordName(fqdn, spec.type)} TXT`);
    return {
      state: { comparable: comparableOfRecord(record), record, marker },
      owner: marker ? ownerOf((marker.ResourceRecords ?? []).map((r) => r.Value ?? '')) : null,
    };
  },

  plan(desired, actual) {
    return diffFields(comparableOf(desired), actual?.comparable, { unordered: ['values'] });
  },

  async apply(desired, _actual, changes, ctx) {
    const zone = await zoneOf(desired, ctx);
    const fqdn = qualify(desired.name, desired.zone);
    const batch: Change[] = [];
    // Only the marker when nothing else differs (an adoption): the record set itself is left as it is.
    if (changes.length > 0) batch.push({ Action: 'UPSERT', ResourceRecordSet: recordSetOf(desired, fqdn) });
    batch.push({
      Action: 'UPSERT',
      ResourceRecordSet: {
        Name: `${ownershipRecordName(fqdn, desired.type)}.`,
        Type: 'TXT',
        TTL: 300,
        ResourceRecords: [{ Value: ownershipValue(ctx.ownerId) }],
      },
    });
    const writer = await ctx.memo(`route53:writer:${zone.id}`, async () => new ZoneWriter(await client(ctx), zone.id));
    await writer.write(batch);
  },

  async remove(last, actual, ctx) {
    const zone = await zoneOf(last, ctx);
    const changes: Change[] = [{ Action: 'DELETE', ResourceRecordSet: actual.state.record }];
    if (actual.state.marker) changes.push({ Action: 'DELETE', ResourceRecordSet: actual.state.marker });
    const writer = await ctx.memo(`route53:writer:${zone.id}`, async () => new ZoneWriter(await client(ctx), zone.id));
    await writer.write(changes);
    return 'removed';
  },
});
