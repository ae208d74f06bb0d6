import { snsSubject } from '../alerts/sns-message';
import { severityOf } from './deployment-event';
import { describeNotification } from './describe-notification';
import type { Notification } from './notify-state';

/** What SNS accepts: a one-line ASCII subject under 100 characters, a message under 256 KB, string attributes. */
export interface SnsDeploymentMessage {
  subject: string;
  message: string;
  /**
   * For subscription filter policies: `cluster`, `kind` (deployed, failed, degraded, recovered, healed, suspended,
   * resumed: the deployment events' kinds, distinct from the drift alerts' drift/resolved/scan-failing) and `severity`.
   */
  attributes: { cluster: string; kind: string; severity: string; source: 'deployment' };
}

/** The message says one Sync or one storm, at most a few KB; this only guards against a pathological error text. */
const maxMessageBytes = 200 * 1024;

/**
 * The SNS form of a deployment notification, for e-mail and for subscribers' queues.
 * @example
 * renderDeploymentSns({ kind: 'event', event }).subject // "Tidemark: prod: tidemark-system/web deployed abc1234: …"
 */
export function renderDeploymentSns(notification: Notification): SnsDeploymentMessage {
  const d = describeNotification(notification);
  const lines: string[] = [];
  for (const part of d.parts) {
    if ('code' in part) lines.push('', ...part.code.split('\n').map((l) => `    ${l}`), '');
    else if ('list' in part) {
      lines.push(...part.list.map((item) => `  - ${item}`));
      if (part.more > 0) lines.push(`  - …and ${part.more} more`);
    } else lines.push(part.text);
  }
  lines.push('', d.context.map((c) => c.replace(/[*`]/g, '')).join(' · '));
  let message = lines.join('\n').replace(/\n{3,}/g, '\n\n');
  if (Buffer.byteLength(message) > maxMessageBytes) {
    message = `${Buffer.from(message).subarray(0, maxMessageBytes).toString('utf8')}\n…(cut)`;
  }
  const cluster = notification.kind === 'event' ? notification.event.cluster : notification.members[0]!.event.cluster;
  return {
    subject: snsSubject(`Tidemark: ${d.title}`.replace(/\s+/g, ' ')),
    message,
    attributes: { cluster, kind: d.kind, severity: severityOf(d.kind), source: 'deployment' },
  };
}
