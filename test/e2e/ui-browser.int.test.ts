// biome-ignore-all lint/performance/useDomNodeTextContent: these are Playwright locators, whose innerText() is what a user sees, not DOM nodes
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncApiVersion, syncKind } from '../../core/sync/sync';
import { launchChromium } from '../../local/chromium/launch';
import { openUiFixture, type UiFixture } from './ui-fixture';

// `tidemark ui` in headless Chromium (Debian's package, local/chromium/install.sh) driven by playwright-core, against
// the local environment with the real agent's Syncs in each condition (test/e2e/ui-fixture.ts). Each page is reached
// by clicking, its content asserted, and a screenshot saved under .cache/ui-screenshots/ for the closing note.

const require = createRequire(import.meta.url);
const screenshots = join(import.meta.dirname, '../../.cache/ui-screenshots');
let f: UiFixture;
let browser: Browser;
let page: Page;
/** The HTML of every page the browser showed, and every live update it got: searched for the canary at the end. */
const seen: string[] = [];

beforeAll(async () => {
  mkdirSync(screenshots, { recursive: true });
  f = await openUiFixture();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('response', async (response) => {
    if (response.url().startsWith(f.ui.url) && !response.url().endsWith('/events')) {
      seen.push(await response.text().catch(() => ''));
    }
  });
  // The live updates, as the page's EventSource gets them.
  await page.exposeFunction('recordLiveUpdate', (data: string) => seen.push(data));
  // A string, not a function: the tests are compiled without the DOM's types.
  await page.addInitScript(`{
    const Original = window.EventSource;
    window.EventSource = class extends Original {
      constructor(url, init) {
        super(url, init);
        this.addEventListener('fragment', (e) => window.recordLiveUpdate(e.data));
      }
    };
  }`);
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await f?.close();
});

const shot = (name: string) => page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });

describe('tidemark ui in a browser', () => {
  it('Clusters: the cluster with its Syncs counted by state, reached by keyboard from a skip link', async () => {
    await page.goto(f.ui.url);
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    const row = page.getByRole('row', { name: new RegExp(f.clusterName) });
    await expect.poll(() => row.innerText()).toMatch(/\t3\t2\t1\t1\t2$/); // Syncs, ready (ready and drifted), stalled, not ready, drift findings
    await shot('clusters');
  });

  it('Syncs: revision linked to its commit, Ready and Stalled with the reason, health, last sync, drift', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Syncs' }).click();
    await expect.poll(() => page.title()).toBe('Syncs · Tidemark');
    const row = (name: string) => page.locator(`[id="sync-row:${f.ns}/${name}"]`);
    const head = f.repo.head();
    expect(await row('ready').innerText()).toMatch(/Ready\s+ReconciliationSucceeded/);
    expect(
      await row('ready')
        .getByRole('link', { name: head.slice(0, 7) })
        .getAttribute('href'),
    ).toBe(`${f.repo.url.replace(/\.git$/, '')}/commit/${head}`);
    expect(await row('ready').innerText()).toContain('initial commit');
    expect(await row('ready').innerText()).toMatch(/2\/2/);
    expect(await row('stalled').innerText()).toMatch(/Stalled\s+RenderFailed/);
    expect(await row('stalled').innerText()).toMatch(/app\.yaml/);
    expect(await row('drifted').innerText()).toMatch(/1 object/);
    await shot('syncs');
  });

  it('Syncs: a status change reaches the open page without a reload', async () => {
    const before = await page.evaluate("performance.getEntriesByType('navigation').length");
    await f.cluster.mergePatch(
      { apiVersion: syncApiVersion, kind: syncKind, namespace: f.ns, name: 'drifted' },
      { status: { driftedObjects: 7 } },
      'status',
    );
    await expect
      .poll(() => page.locator(`[id="sync-row:${f.ns}/drifted"]`).innerText(), { timeout: 10_000 })
      .toMatch(/7 objects/);
    expect(await page.evaluate("performance.getEntriesByType('navigation').length")).toBe(before);
    expect(await page.locator('#live-status').innerText()).toContain(`Sync ${f.ns}/drifted`);
  });

  it('a Sync: objects tree with health and revision, conditions, events, inventory', async () => {
    await page.getByRole('link', { name: 'ready', exact: true }).click();
    await expect.poll(() => page.title()).toBe('Sync ready · Tidemark');
    const objects = page.getByRole('list', { name: /Objects of the Sync/ });
    expect(await objects.innerText()).toMatch(/ConfigMap\s+\S+\/settings\s+Current/);
    expect(await objects.innerText()).toMatch(/Secret\s+\S+\/db\s+Current/);
    expect(await objects.innerText()).toContain(`applied at ${f.repo.head().slice(0, 7)}`);
    const conditions = page.getByRole('table', { name: /Conditions/ });
    expect(await conditions.innerText()).toMatch(/Ready\s+True\s+ReconciliationSucceeded/);
    expect(await page.getByRole('table', { name: /Deployment events/ }).innerText()).toMatch(/deployed/);
    expect(await page.getByRole('table', { name: /Kubernetes Events/ }).innerText()).toMatch(/Applied/);
    await page.getByText(/objects the agent owns/).click();
    expect(await page.locator('details').innerText()).toMatch(/_db__Secret/);
    await shot('sync-ready');
  });

  it('a revision timeline: applied, healthy and notified with the latencies, and why the other steps have no time', async () => {
    await page.getByRole('link', { name: 'timeline of this revision' }).click();
    await expect.poll(() => page.title()).toMatch(/^Timeline of [0-9a-f]{7}/);
    const steps = await page.locator('ol.steps').innerText();
    expect(steps).toMatch(/Applied to the cluster[\s\S]*Healthy \(deployed\)[\s\S]*Notified/);
    expect(await page.getByRole('table', { name: /Between the steps/ }).innerText()).toMatch(
      /applied → healthy\s+\d+\.\d\d/,
    );
    expect(await page.getByRole('region', { name: 'Steps with no time' }).innerText()).toMatch(/Image pushed to ECR/);
    await shot('timeline');
  });

  it('a stalled Sync, and "reconcile now" behind a confirmation that the agent answers', async () => {
    await page.goto(`${f.ui.url}syncs/${f.ns}/stalled`);
    expect(await page.locator(`[id="sync-summary:${f.ns}/stalled"]`).innerText()).toMatch(
      /Stalled\s+RenderFailed[\s\S]*Retrying will not help until Git changes/,
    );
    await shot('sync-stalled');
    await page.goto(`${f.ui.url}syncs/${f.ns}/drifted`);
    await page.getByRole('link', { name: 'Reconcile now…' }).click();
    await expect.poll(() => page.title()).toBe('Reconcile drifted? · Tidemark');
    await shot('reconcile-confirm');
    await page.getByRole('button', { name: 'Reconcile drifted now' }).click();
    await expect.poll(() => page.title()).toBe('Sync drifted · Tidemark');
    // The agent answers the request: it applies again, which puts the hand edit back (drift 0), seen live.
    await expect
      .poll(() => page.locator(`[id="sync-summary:${f.ns}/drifted"]`).innerText(), { timeout: 60_000 })
      .toMatch(/Drift\s+0/);
    const sync = await f.cluster.get({ apiVersion: syncApiVersion, kind: syncKind, namespace: f.ns, name: 'drifted' });
    expect(sync?.metadata.annotations?.['tidemark.dev/requested-at']).toBeDefined();
  });

  it('Drift: each field with Git and live values, Secrets masked, the manager that changed it, first seen', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Drift' }).click();
    const settings = page.getByRole('table', { name: new RegExp(`ConfigMap/${f.ns}/scan-settings`) });
    expect(await settings.innerText()).toMatch(/data\.mode\s+git\s+by-hand\s+kubectl-patch/);
    const secret = page.getByRole('table', { name: new RegExp(`Secret/${f.ns}/scan-db`) });
    expect(await secret.innerText()).toMatch(/data\.password\s+\(hidden\)\s+\(hidden\)\s+kubectl-patch/);
    expect(await page.locator('main').innerText()).toMatch(/first seen \d+s ago/);
    await shot('drift');
  });

  it('Promotions: without a checkout, says what it needs, and shows nothing made up', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Promotions' }).click();
    expect(await page.locator('main').innerText()).toContain('Promotions need a checkout of the config repo');
    expect(await page.locator('main table').count()).toBe(0);
    await shot('promotions');
  });

  it('meets WCAG 2 A and AA on every page, as axe-core checks them (contrast, labels, landmarks, names)', async () => {
    // A context of its own that lets axe-core's script in: the pages' policy runs no script but their own.
    const context = await browser.newContext({ bypassCSP: true });
    const checker = await context.newPage();
    const pages = ['', 'syncs', 'drift', 'promotions', `syncs/${f.ns}/ready`, `syncs/${f.ns}/stalled`];
    pages.push(`syncs/${f.ns}/drifted/reconcile`, `syncs/${f.ns}/ready/revisions/${f.repo.head()}`);
    const violations: Record<string, unknown> = {};
    for (const path of pages) {
      await checker.goto(`${f.ui.url}${path}`);
      await checker.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
      const { found, passed } = (await checker.evaluate(
        "axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })" +
          '.then((r) => ({ passed: r.passes.map((p) => p.id), found: r.violations.map((v) => v.id + ": " + ' +
          'v.nodes.map((n) => n.target.join(" ")).join(", ")) }))',
      )) as { found: string[]; passed: string[] };
      // Not vacuous: the rules that matter here ran and passed on the page.
      expect(passed, path).toEqual(expect.arrayContaining(['color-contrast', 'document-title', 'html-has-lang']));
      if (found.length > 0) violations[path || '/'] = found;
    }
    await context.close();
    expect(violations).toEqual({});
  });

  it('shows no secret value on any page or live update (the canary of test/e2e/secret-canary.int.test.ts)', async () => {
    for (const path of [
      '',
      'syncs',
      'drift',
      `syncs/${f.ns}/ready`,
      `syncs/${f.ns}/drifted`,
      `syncs/${f.ns}/stalled`,
    ]) {
      await page.goto(`${f.ui.url}${path}`);
      seen.push(await page.content());
    }
    // Not vacuous: the pages were read, and the canary is where it belongs (the applied Secret in the cluster).
    expect(seen.length).toBeGreaterThan(15);
    const applied = await f.cluster.get({ apiVersion: 'v1', kind: 'Secret', namespace: f.ns, name: 'db' });
    expect(f.hitsIn(JSON.stringify(applied))).toBeGreaterThan(0);
    const live = await f.cluster.get({ apiVersion: 'v1', kind: 'Secret', namespace: f.ns, name: 'scan-db' });
    expect(f.hitsIn(JSON.stringify(live))).toBeGreaterThan(0);
    expect(seen.map(f.hitsIn).reduce((a, b) => a + b, 0)).toBe(0);
  });
});
