import type { DriftFindings, SeenFinding } from '../../../core/drift/drift-findings';
import type { FieldWriter } from '../../../core/drift/managed-fields';
import { describeObject } from '../../../core/sync/object-id';
import { shortSha } from '../../../core/sync/sync-view';
import { type Html, html } from '../html';
import { when } from './sync-parts';

/**
 * Each cluster's drift as the scanner last found it: per object, each field with what Git says and what runs (Secret
 * values arrive masked from the scanner), who changed it, and since when it drifts.
 */
export function driftPage(
  clusters: { name: string; findings: DriftFindings | undefined; note?: string }[],
  now: Date,
): Html {
  return html`${clusters.map(
    (c) => html`<section aria-labelledby="${`drift-${c.name}`}">
<h2 id="${`drift-${c.name}`}">Cluster ${c.name}</h2>
${c.findings ? clusterDrift(c.findings, now) : html`<p class="notice">${c.note ?? 'No drift scan of this cluster is recorded yet.'}</p>`}
</section>`,
  )}`;
}

function clusterDrift(f: DriftFindings, now: Date): Html {
  return html`<p>Last scan ${when(f.scannedAt, now)}${f.revision ? html` of Git <code>${shortSha(f.revision)}</code>` : ''}: ${f.objectsScanned} objects compared, <strong>${f.findings.length + f.omitted}</strong> finding${f.findings.length + f.omitted === 1 ? '' : 's'}.</p>
${f.failing ? html`<p class="notice bad">Scans fail since ${when(f.failing.since, now)}: ${f.failing.message}. The findings below are from the last scan that worked.</p>` : ''}
${f.findings.length === 0 ? html`<p>In sync: Git and the cluster agree.</p>` : f.findings.map((x) => finding(x, now))}
${f.omitted > 0 ? html`<p class="muted">${f.omitted} more findings are not shown (the scanner keeps the first 500).</p>` : ''}`;
}

function finding(f: SeenFinding, now: Date): Html {
  const seen = html`<span class="muted">first seen ${when(f.firstSeen, now)}</span>`;
  switch (f.kind) {
    case 'modified':
      return html`<h3>${describeObject(f.object)} <span class="badge warn">changed</span>${f.reverted ? html` <span class="badge ok">reverted</span>` : ''}</h3>
<p>${seen}</p>
<table><caption>Fields of ${describeObject(f.object)} that differ from Git</caption>
<thead><tr><th scope="col">Field</th><th scope="col">Git (desired)</th><th scope="col">Live</th><th scope="col">Changed by</th><th scope="col">First seen</th></tr></thead>
<tbody>${f.fields.map(
        (field) =>
          html`<tr><th scope="row"><code>${field.path}</code></th><td>${value(field.desired)}</td><td>${value(field.live)}</td><td>${writer(field.writer, now)}</td><td>${when(field.firstSeen, now)}</td></tr>`,
      )}</tbody></table>`;
    case 'missing':
      return html`<h3>${describeObject(f.object)} <span class="badge bad">missing</span></h3><p>In Git, not in the cluster. ${seen}</p>`;
    case 'orphan':
      return html`<h3>${describeObject(f.object)} <span class="badge warn">not in Git</span></h3><p>Carries Tidemark's labels but Git no longer has it${f.writer ? html`; labelled by ${writer(f.writer, now)}` : ''}. ${seen}</p>`;
    case 'unappliable':
      return html`<h3>${describeObject(f.object)} <span class="badge bad">cannot be applied</span></h3><p>${f.message} ${seen}</p>`;
    case 'sync-lagging':
      return html`<h3>Sync ${f.sync.namespace}/${f.sync.name} <span class="badge warn">behind Git</span></h3><p>Applied ${f.lastAppliedRevision ? html`<code>${shortSha(f.lastAppliedRevision)}</code>` : 'nothing'}, Git is at <code>${shortSha(f.headRevision)}</code> for ${f.lagMinutes} minutes. ${seen}</p>`;
    case 'sync-stalled':
      return html`<h3>Sync ${f.sync.namespace}/${f.sync.name} <span class="badge bad">stalled</span></h3><p>${f.reason}: ${f.message} ${seen}</p>`;
  }
}

function value(v: unknown): Html {
  return v === undefined || v === null
    ? html`<span class="muted">(absent)</span>`
    : html`<pre><code>${typeof v === 'string' ? v : JSON.stringify(v, null, 1)}</code></pre>`;
}

function writer(w: FieldWriter | undefined, now: Date): Html {
  if (!w) return html`<span class="muted">no manager (removed)</span>`;
  return html`<code>${w.manager}</code>${w.subresource ? html` <span class="muted">(${w.subresource})</span>` : ''}${w.time ? html` ${when(w.time, now)}` : ''}`;
}
