import { type Html, html } from '../html';

/**
 * Promotions need the promoter's standings (issue 16, `readPromotionStandings`), which this build does not have yet:
 * the page says so rather than showing anything made up.
 */
export function promotionsPage(): Html {
  return html`<p class="notice">Promotions are not available in this build: the promoter that records where each candidate stands per stage is not part of it yet. Nothing is shown rather than something guessed.</p>`;
}
