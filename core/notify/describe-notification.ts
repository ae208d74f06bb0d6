import { shortRevision } from '../alerts/describe-drift';
import { type DeploymentEvent, syncName } from './deployment-event';
import type { Notification, RecoveredMember, StormMember } from './notify-state';

/**
 * A notification in words, shared by the Slack and SNS renderers so both channels say the same thing: a title, then
 * parts (plain text, an error quoted as code, a list of names), then a context line.
 */
export interface Description {
  /** One line, with the cluster first: "prod: shop/web deployed abc1234". */
  title: string;
  /** A symbol for chat; SNS subjects stay ASCII and leave it out. */
  emoji: string;
  parts: Part[];
  context: string[];
  /** The SNS `kind` attribute subscribers filter on. */
  kind: DeploymentEvent['kind'];
}

export type Part = { text: string } | { code: string } | { list: string[]; more: number };

/** At most this many Syncs are named in a folded message; the rest are counted. */
export const listedSyncs = 20;

/**
 * @example
 * describeNotification({ kind: 'event', event }).title // "prod: tidemark-system/web deployed abc1234: Update web to 1.2"
 */
export function describeNotification(n: Notification): Description {
  switch (n.kind) {
    case 'event':
      return describeEvent(n.event, n.healCount);
    case 'failing':
      return describeFailing(n.members, n.cause.summary);
    case 'recovered':
      return describeRecovered(n.members, n.stillFailing, n.cause.summary);
  }
}

function describeEvent(e: DeploymentEvent, healCount?: number): Description {
  const who = `${e.cluster}: ${syncName(e.sync)}`;
  const context = contextOf(e);
  switch (e.kind) {
    case 'deployed': {
      const parts: Part[] = [{ text: `${revisionText(e)}${changesText(e)}. ${healthText(e)}` }];
      if (e.images.length > 0) {
        parts.push({ list: e.images.slice(0, 10).map(imageText), more: Math.max(0, e.images.length - 10) });
      }
      return { title: `${who} deployed ${short(e.revision)}: ${e.subject}`, emoji: '🚀', parts, context, kind: e.kind };
    }
    case 'healed': {
      const object = e.heal?.object ?? 'an object';
      const by = e.heal?.changedBy === 'deleted' ? 'was deleted' : `was changed by ${e.heal?.changedBy ?? 'someone'}`;
      const again =
        healCount && healCount > 1 ? ` It has been reverted ${healCount} times; something keeps changing it.` : '';
      return {
        title: `${who} healed ${object}`,
        emoji: '🩹',
        parts: [{ text: `${object} ${by} outside Git; Tidemark re-applied it from ${short(e.revision)}.${again}` }],
        context,
        kind: e.kind,
      };
    }
    case 'suspended':
      return {
        title: `${who} suspended`,
        emoji: '⏸️',
        parts: [{ text: 'Reconciles stop until spec.suspend is cleared; Git changes are not applied meanwhile.' }],
        context,
        kind: e.kind,
      };
    case 'resumed':
      return { title: `${who} resumed`, emoji: '▶️', parts: [{ text: 'Reconciles run again.' }], context, kind: e.kind };
    case 'failed':
    case 'degraded':
      return describeFailing([{ key: '', event: e, since: e.at, channels: [], announced: true }], e.reason);
    case 'recovered':
      return {
        title: `${who} recovered`,
        emoji: '✅',
        parts: [{ text: `${e.message} ${revisionText(e)}.` }],
        context,
        kind: e.kind,
      };
  }
}

function describeFailing(members: StormMember[], summary: string): Description {
  const first = members[0]!.event;
  const verb = first.kind === 'degraded' ? 'degraded' : 'failed';
  if (members.length === 1) {
    const parts: Part[] = [{ code: first.message }];
    if (first.location) {
      parts.push({ text: `In ${first.location.file}${first.location.line ? `, line ${first.location.line}` : ''}.` });
    }
    if (first.revision) parts.push({ text: `${revisionText(first)}.` });
    if (first.kind === 'degraded' && first.health.notReady.length > 0) {
      parts.push({ list: first.health.notReady, more: 0 });
    }
    parts.push({ text: 'A "recovered" message follows when it is healthy again; nothing is re-sent meanwhile.' });
    return {
      title: `${first.cluster}: ${syncName(first.sync)} ${verb} (${first.reason})`,
      emoji: first.kind === 'degraded' ? '⚠️' : '❌',
      parts,
      context: [...contextOf(first), `since ${clock(members[0]!.since)}`],
      kind: first.kind,
    };
  }
  return {
    title: `${first.cluster}: ${members.length} Syncs ${verb === 'failed' ? 'failing' : 'degraded'}: ${summary}`,
    emoji: first.kind === 'degraded' ? '⚠️' : '❌',
    parts: [
      { text: `${members.length} Syncs ${verb} for one cause. The first error:` },
      { code: first.message },
      names(members.map((m) => m.event)),
      { text: 'One message when they recover; nothing is re-sent meanwhile.' },
    ],
    context: [`Cluster *${first.cluster}*`, `since ${clock(earliest(members.map((m) => m.since)))}`],
    kind: first.kind,
  };
}

function describeRecovered(members: RecoveredMember[], stillFailing: StormMember[], summary: string): Description {
  const first = members[0]!.event;
  const since = earliest(members.map((m) => m.failedSince));
  const until = members
    .map((m) => m.recoveredAt)
    .sort()
    .at(-1)!;
  const took = `after ${duration(since, until)}`;
  if (members.length === 1 && stillFailing.length === 0) {
    return {
      title: `${first.cluster}: ${syncName(first.sync)} recovered`,
      emoji: '✅',
      parts: [{ text: `Healthy again ${took} of ${first.reason}: ${cutText(first.message, 300)}` }],
      context: contextOf(first),
      kind: 'recovered',
    };
  }
  const parts: Part[] = [
    { text: `${members.length} Syncs healthy again ${took}.` },
    names(members.map((m) => m.event)),
  ];
  if (stillFailing.length > 0) {
    parts.push({ text: `${stillFailing.length} still failing:` }, names(stillFailing.map((m) => m.event)));
  }
  const total = members.length + stillFailing.length;
  return {
    title:
      stillFailing.length > 0
        ? `${first.cluster}: ${members.length} of ${total} Syncs recovered from: ${summary}`
        : `${first.cluster}: ${members.length} Syncs recovered from: ${summary}`,
    emoji: '✅',
    parts,
    context: [`Cluster *${first.cluster}*`, `failing since ${clock(since)}`],
    kind: 'recovered',
  };
}

function names(events: DeploymentEvent[]): Part {
  return {
    list: events.slice(0, listedSyncs).map((e) => syncName(e.sync)),
    more: Math.max(0, events.length - listedSyncs),
  };
}

function contextOf(e: DeploymentEvent): string[] {
  return [`Cluster *${e.cluster}*`, `Sync \`${syncName(e.sync)}\``, repoText(e.repo)];
}

function revisionText(e: DeploymentEvent): string {
  return e.revision ? `Revision ${short(e.revision)}${e.subject ? ` "${e.subject}"` : ''}` : 'No revision';
}

function changesText(e: DeploymentEvent): string {
  if (!e.changes) return '';
  const parts = (['created', 'configured', 'deleted'] as const)
    .filter((k) => e.changes![k] > 0)
    .map((k) => `${e.changes![k]} ${k}`);
  return parts.length > 0 ? `: ${parts.join(', ')}` : ': no changes';
}

function healthText(e: DeploymentEvent): string {
  const { current, inProgress, failed } = e.health;
  const total = current + inProgress + failed;
  return total === 0 ? 'No objects report health.' : `${current}/${total} objects healthy.`;
}

function imageText(image: DeploymentEvent['images'][number]): string {
  return image.digest ? `${image.name} @ ${image.digest.slice(0, 19)}…` : image.name;
}

function repoText(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname.replace(/\.git$/, '')}`;
  } catch {
    return url;
  }
}

function short(revision: string | undefined): string {
  return revision ? shortRevision(revision) : '(no revision)';
}

function earliest(times: string[]): string {
  return [...times].sort()[0] ?? '';
}

/** `10:42 UTC`. Messages carry the full time in the event; a person wants the clock. */
function clock(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(11, 16)} UTC`;
}

/** `45 s`, `3 min`, `2 h 5 min`. */
export function duration(fromIso: string, toIso: string): string {
  const seconds = Math.max(0, Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 1000));
  if (seconds < 90) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function cutText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
