import type { SyncSummary } from '../../../core/sync/sync-view';
import { shortSha } from '../../../core/sync/sync-view';
import type { RevisionTimeline } from '../../../core/timeline/revision-timeline';
import { type Html, html } from '../html';
import { revisionCell, syncHref } from './sync-parts';

const stepNames: Record<string, string> = {
  'image-pushed': 'Image pushed to ECR',
  'commit-made': 'Commit made',
  'webhook-received': 'Webhook received',
  applied: 'Applied to the cluster',
  healthy: 'Healthy (deployed)',
  notified: 'Notified',
};

/** One revision's way into a Sync: the steps with times, the latencies between them, and the steps with no time. */
export function timelinePage(s: SyncSummary, revision: string, t: RevisionTimeline, notes: string[]): Html {
  const start = t.timeline.events[0] ? Date.parse(t.timeline.events[0].at) : 0;
  return html`<p><a href="${syncHref(s)}">Sync ${s.namespace}/${s.name}</a> › revision <code>${shortSha(revision)}</code>${
    s.revision?.endsWith(revision) ? html` (${revisionCell(s)})` : ''
  }</p>
<section aria-labelledby="steps-heading">
<h2 id="steps-heading">Steps</h2>
${
  t.timeline.events.length > 0
    ? html`<ol class="steps">${t.timeline.events.map(
        (e) =>
          html`<li><strong>${stepNames[e.step] ?? e.step}</strong> <time datetime="${e.at}">${e.at.replace('T', ' ').slice(0, 23)}</time> <span class="muted">+${((Date.parse(e.at) - start) / 1000).toFixed(2)} s</span><div class="muted">${e.detail}</div></li>`,
      )}</ol>`
    : html`<p class="muted">No step of this revision has a recorded time.</p>`
}
</section>
<section aria-labelledby="latency-heading">
<h2 id="latency-heading">Latencies</h2>
${
  t.timeline.latencies().length > 0
    ? html`<table><caption>Between the steps that have a time</caption><thead><tr><th scope="col">From → to</th><th scope="col">Seconds</th></tr></thead>
<tbody>${t.timeline.latencies().map((l) => html`<tr><th scope="row">${l.name}</th><td>${(l.milliseconds / 1000).toFixed(2)}</td></tr>`)}</tbody></table>`
    : html`<p class="muted">None: fewer than two steps have a time.</p>`
}
</section>
${
  t.detours.length > 0
    ? html`<section aria-labelledby="detours-heading"><h2 id="detours-heading">On the way</h2><ul>${t.detours.map(
        (d) =>
          html`<li><time datetime="${d.at}">${d.at.replace('T', ' ').slice(0, 19)}</time> <strong>${d.kind}</strong> ${d.reason}: ${d.message}</li>`,
      )}</ul></section>`
    : ''
}
<section aria-labelledby="unknown-heading">
<h2 id="unknown-heading">Steps with no time</h2>
${t.unknown.length > 0 ? html`<ul>${t.unknown.map((u) => html`<li><strong>${stepNames[u.step]}</strong>: ${u.why}</li>`)}</ul>` : html`<p>Every step has a time.</p>`}
${notes.length > 0 ? html`<ul class="muted">${notes.map((n) => html`<li>${n}</li>`)}</ul>` : ''}
</section>`;
}
