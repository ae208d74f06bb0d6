import { cut, escapeMrkdwn, type SlackBlock, type SlackMessage } from '../alerts/slack-message';
import { describeNotification, type Part } from './describe-notification';
import type { Notification } from './notify-state';

/** Slack's limits: 150 characters per header, 3000 per section text; we stay far below its 50 blocks. */
const maxHeader = 150;
const maxSection = 3000;

/**
 * The Slack (Block Kit) message for a deployment notification: a header with the cluster and what happened, a section
 * per part (the error as a code block, the Syncs as a list), and a context line. Everything that comes from Git or the
 * cluster is escaped, so a commit subject cannot mention `@channel` or forge a link.
 *
 * @example
 * renderDeploymentSlack({ kind: 'event', event }).text // "🚀 prod: tidemark-system/web deployed abc1234: Update web"
 */
export function renderDeploymentSlack(notification: Notification): SlackMessage {
  const d = describeNotification(notification);
  const title = `${d.emoji} ${d.title}`;
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: cut(title, maxHeader), emoji: true } },
  ];
  for (const part of d.parts) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: sectionText(part) } });
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: d.context.map(escapeMrkdwn).join(' · ') }],
  });
  // `text` is what notifications and old clients show, as mrkdwn; the header is plain text and shows `<` as it is.
  return { text: cut(escapeMrkdwn(title), 3000), blocks };
}

function sectionText(part: Part): string {
  if ('code' in part) {
    // A code block ends at the first ``` in the text: break such runs so a message cannot close it early.
    return `\`\`\`${cut(escapeMrkdwn(part.code).replaceAll('```', '`‵`'), maxSection - 6)}\`\`\``;
  }
  if ('list' in part) {
    const lines = part.list.map((item) => `• ${escapeMrkdwn(item)}`);
    if (part.more > 0) lines.push(`• …and ${part.more} more`);
    return cut(lines.join('\n'), maxSection);
  }
  return cut(escapeMrkdwn(part.text), maxSection);
}
