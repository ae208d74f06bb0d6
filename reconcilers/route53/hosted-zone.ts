import {
  type Change,
  ChangeResourceRecordSetsCommand,
  GetHostedZoneCommand,
  InvalidChangeBatch,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { PermanentError } from '../../sdk';
import { normalName } from './record-names';

/** A zone this folder may change: its id and its name. */
export interface Zone {
  id: string;
  name: string;
}

/**
 * The zones named by the folder's `hostedZoneIds`, by name. GetHostedZone per id, rather than ListHostedZonesByName,
 * because the function's IAM policy names these zones and nothing else (ListHostedZones cannot be scoped to a zone).
 */
export async function allowedZones(client: Route53Client, ids: readonly string[]): Promise<Map<string, Zone>> {
  const zones = new Map<string, Zone>();
  for (const raw of ids) {
    const id = raw.replace(/^\/?hostedzone\//, '');
    const out = await client.send(new GetHostedZoneCommand({ Id: id }));
    const name = normalName(out.HostedZone?.Name ?? '');
    if (zones.has(name)) {
      throw new PermanentError(
        `hostedZoneIds has two zones named ${name} (${zones.get(name)!.id} and ${id}), so a declaration's zone is ambiguous. Give this folder one of them`,
      );
    }
    zones.set(name, { id, name });
  }
  return zones;
}

/**
 * Every record set of a zone, keyed by `<name> <type>`: one paged listing (300 per page) serves every declaration of
 * the run. Record sets with a SetIdentifier (weighted, latency, failover routing) are keyed with it and never match a
 * declaration, which has none, so they are left alone.
 */
export async function zoneRecords(client: Route53Client, zoneId: string): Promise<Map<string, ResourceRecordSet>> {
  const records = new Map<string, ResourceRecordSet>();
  let start: { name?: string; type?: string } = {};
  for (;;) {
    const page = await client.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ...(start.name ? { StartRecordName: start.name } : {}),
        ...(start.type ? { StartRecordType: start.type as never } : {}),
      }),
    );
    for (const set of page.ResourceRecordSets ?? []) {
      const key = `${normalName(set.Name ?? '')} ${set.Type}${set.SetIdentifier ? ` ${set.SetIdentifier}` : ''}`;
      records.set(key, set);
    }
    if (!page.IsTruncated || !page.NextRecordName) return records;
    start = { name: page.NextRecordName, type: page.NextRecordType };
  }
}

/** Route 53 takes at most 1,000 changes per batch; keep well under it and under its 32,000 characters of values. */
const maxChangesPerBatch = 400;

/**
 * Writes a zone's changes in batches: each record set's changes (the record and its ownership record) go in as one
 * group that Route 53 applies atomically, and the groups submitted while earlier ones are in flight share the next
 * call. 500 record sets become a handful of ChangeResourceRecordSets calls instead of 500, which matters at Route 53's
 * five requests per second. When a batch is refused (InvalidChangeBatch: one group conflicts), each group is sent
 * again alone, so one bad record set fails by itself and the rest are written.
 */
export class ZoneWriter {
  private pending: { changes: Change[]; done: (error?: unknown) => void }[] = [];
  private scheduled = false;
  /** One call at a time per zone: Route 53 refuses a change while the previous one is processed (PriorRequestNotComplete). */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: Route53Client,
    private readonly zoneId: string,
  ) {}

  /** Resolves once the group is written; rejects with Route 53's reason for this group. */
  write(changes: Change[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ changes, done: (error) => (error === undefined ? resolve() : reject(error)) });
      if (!this.scheduled) {
        this.scheduled = true;
        // After the current turn, so groups submitted together by the engine's pool go in one call.
        setImmediate(() => {
          this.writing = this.writing.then(() => this.flush());
        });
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const groups = this.pending.splice(0);
    for (let i = 0; i < groups.length; ) {
      const batch: typeof groups = [];
      let size = 0;
      while (i < groups.length && (batch.length === 0 || size + groups[i]!.changes.length <= maxChangesPerBatch)) {
        size += groups[i]!.changes.length;
        batch.push(groups[i++]!);
      }
      await this.send(batch);
    }
  }

  private async send(batch: { changes: Change[]; done: (error?: unknown) => void }[]): Promise<void> {
    try {
      await this.submit(batch.flatMap((g) => g.changes));
      for (const g of batch) g.done();
    } catch (error) {
      if (!(error instanceof InvalidChangeBatch) || batch.length === 1) {
        const failure = error instanceof InvalidChangeBatch ? new PermanentError(reasonOf(error)) : error;
        for (const g of batch) g.done(failure);
        return;
      }
      for (const g of batch) await this.send([g]);
    }
  }

  private async submit(changes: Change[]): Promise<void> {
    await this.client.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: this.zoneId,
        ChangeBatch: { Comment: 'Tidemark: applied from Git', Changes: changes },
      }),
    );
  }
}

/** Route 53's reasons for refusing a batch, joined: "Tried to create resource record set … but it already exists". */
function reasonOf(error: InvalidChangeBatch): string {
  const messages = (error as InvalidChangeBatch & { messages?: string[] }).messages;
  return `Route 53 refused the change: ${messages?.length ? messages.join('; ') : error.message}`;
}
