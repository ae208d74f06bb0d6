import type { CandidateStanding, PromotionStandings } from '../../../core/promotion/standing';
import { shortSha } from '../../../core/sync/sync-view';
import { type Html, html } from '../html';

/**
 * Each pipeline's stages and where each candidate stands, with the gate that holds it: the promoter's standings
 * (`readPromotionStandings`, engine/promotion/standings.ts), the same as `tidemark promotions` prints. Without them
 * (no `--checkout` or no State table), the page says what it needs instead of showing anything guessed.
 */
export function promotionsPage(read: { standings: PromotionStandings } | { unavailable: string }): Html {
  if ('unavailable' in read) return html`<p class="notice">${read.unavailable}</p>`;
  const { standings } = read;
  if (standings.pipelines.length === 0) return html`<p>No pipelines are declared in .tidemark/promotions.yaml.</p>`;
  return html`<p class="muted">Read at ${standings.at} from the config repo at <code>${shortSha(standings.revision)}</code>.</p>
${standings.pipelines.map(
  (p) => html`<section aria-labelledby="${`pipeline-${p.name}`}">
<h2 id="${`pipeline-${p.name}`}">Pipeline ${p.name}</h2>
<table>
<caption>Stages of ${p.name}, in order, with each candidate and the gate that holds it</caption>
<thead><tr><th scope="col">Stage</th><th scope="col">Cluster</th><th scope="col">Policy</th><th scope="col">Candidate</th><th scope="col">State</th><th scope="col">Why</th><th scope="col">Last promotion</th></tr></thead>
<tbody>
${p.stages.map((stage) =>
  stage.candidates.length === 0
    ? html`<tr><th scope="row">${stage.name}</th><td>${stage.cluster}</td><td colspan="5" class="muted">First stage: it takes what its own policies select.</td></tr>`
    : stage.candidates.map((c) => candidateRow(stage.name, c)),
)}
</tbody>
</table>
</section>`,
)}`;
}

function candidateRow(stage: string, c: CandidateStanding): Html {
  const candidate = c.candidate
    ? html`<code>${c.candidate.tag ? `${c.candidate.tag}@` : ''}${c.candidate.digest.slice(0, 19)}</code> from ${c.from}`
    : html`<span class="muted">none in ${c.from}</span>`;
  const last = c.lastPromotion
    ? html`<code>${c.lastPromotion.tag ?? c.lastPromotion.digest.slice(0, 19)}</code> at ${c.lastPromotion.at}`
    : html`<span class="muted">none yet</span>`;
  return html`<tr><th scope="row">${stage}</th><td>${c.cluster}</td><td>${c.policy}</td><td>${candidate}</td><td><span class="${`badge ${c.state}`}">${c.state}</span></td><td>${c.heldBy ? `${c.heldBy.gate}: ${c.heldBy.reason}` : ''}</td><td>${last}</td></tr>`;
}
