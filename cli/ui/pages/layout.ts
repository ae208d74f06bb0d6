import { type Html, html } from '../html';

export type Section = 'clusters' | 'syncs' | 'drift' | 'promotions';

const sections: { id: Section; href: string; label: string }[] = [
  { id: 'clusters', href: '/', label: 'Clusters' },
  { id: 'syncs', href: '/syncs', label: 'Syncs' },
  { id: 'drift', href: '/drift', label: 'Drift' },
  { id: 'promotions', href: '/promotions', label: 'Promotions' },
];

/**
 * Every page's frame: a skip link, the main navigation (the current section marked with `aria-current`), one `main`
 * landmark with the page's only `h1`, and a polite live region where the live-update script says what changed.
 * `live`: the page takes server-sent events (assets/live.js); without JavaScript it is a plain page that is current
 * when loaded.
 */
export function layout(page: { title: string; section?: Section; body: Html; live?: boolean; context: string }): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title} · Tidemark</title>
<link rel="stylesheet" href="/assets/style.css">
${page.live ? html`<script src="/assets/live.js" defer></script>` : ''}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
<p class="brand">Tidemark <span class="context">${page.context}</span></p>
<nav aria-label="Main">
<ul>
${sections.map(
  (s) => html`<li><a href="${s.href}"${page.section === s.id ? html` aria-current="page"` : ''}>${s.label}</a></li>`,
)}
</ul>
</nav>
</header>
<main id="main" tabindex="-1">
<h1>${page.title}</h1>
${page.body}
</main>
<footer><p>Read-only view with your kubeconfig and AWS credentials. The only change it can make is “reconcile now”, after you confirm it.</p></footer>
<div id="live-status" role="status" aria-live="polite" class="visually-hidden"></div>
</body>
</html>
`;
}
