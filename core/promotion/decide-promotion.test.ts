import { describe, expect, it } from 'vitest';
import { type DeploymentEvent, deploymentEvent } from '../notify/deployment-event';
import { decideStage, nextCheckAt, type StageInput } from './decide-promotion';
import { type ClusterEvidence, observeDeployment } from './evidence';
import { parsePromotions } from './promotion-file';
import type { ScanResult } from './standing';

const repository = '123456789012.dkr.ecr.us-east-1.amazonaws.com/web';
const digestA = `sha256:${'a'.repeat(64)}`;
const digestB = `sha256:${'b'.repeat(64)}`;
const t0 = Date.parse('2026-12-02T10:00:00Z');
const at = (minutes: number) => new Date(t0 + minutes * 60_000);

const [pipeline] = parsePromotions(`pipelines:
  - name: web
    stages:
      - { name: dev, cluster: dev }
      - name: prod
        cluster: prod
        policies: [web-prod]
        gates:
          soak: 30m
          scan: { maxFindings: { critical: 0, high: 2 } }
`);

function event(kind: DeploymentEvent['kind'], minutes: number, digest?: string, tag = '1.2.0'): DeploymentEvent {
  return deploymentEvent({
    at: at(minutes).toISOString(),
    cluster: 'dev',
    sync: { namespace: 'tidemark-system', name: 'dev' },
    repo: 'https://git.example.com/config.git',
    revision: (digest === digestB ? 'b' : 'a').repeat(40),
    kind,
    reason:
      kind === 'deployed' ? 'ReconciliationSucceeded' : kind === 'degraded' ? 'ProgressDeadlineExceeded' : 'Recovered',
    images: digest ? [{ name: `${repository}:${tag}`, digest }] : [],
  });
}

function evidenceOf(...events: DeploymentEvent[]): ClusterEvidence | undefined {
  return events.reduce<ClusterEvidence | undefined>((e, ev) => observeDeployment(e, ev), undefined);
}

const clean: ScanResult = { status: 'complete', counts: { HIGH: 1 }, at: at(1).toISOString(), source: 'event' };

function decide(evidence: ClusterEvidence | undefined, now: Date, overrides: Partial<StageInput> = {}) {
  return decideStage({
    pipeline: 'web',
    stage: pipeline!.stages[1]!,
    upstream: pipeline!.stages[0]!,
    policies: [{ name: 'web-prod', repository }],
    upstreamEvidence: evidence,
    scanOf: () => clean,
    promoted: {},
    now,
    ...overrides,
  })[0]!;
}

describe('promotion decisions', () => {
  it('promotes the digest dev deployed once it stayed healthy for the soak and the scan is clean', () => {
    const dev = evidenceOf(event('deployed', 0, digestA));
    const early = decide(dev, at(29));
    expect(early.state).toBe('waiting');
    expect(early.heldBy).toEqual({ gate: 'soak', reason: 'healthy in dev for 29m of 30m' });
    expect(nextCheckAt([early])).toEqual(at(30));
    const due = decide(dev, at(30));
    expect(due.state).toBe('ready');
    expect(due.candidate).toMatchObject({ digest: digestA, tag: '1.2.0', revision: 'a'.repeat(40) });
    expect(due.gates.map((g) => [g.gate, g.state])).toEqual([
      ['upstream', 'passed'],
      ['soak', 'passed'],
      ['scan', 'passed'],
    ]);
  });

  it('restarts the soak when dev degrades during it, counting from the recovery', () => {
    const dev = evidenceOf(event('deployed', 0, digestA), event('degraded', 20), event('recovered', 25));
    expect(decide(evidenceOf(event('deployed', 0, digestA), event('degraded', 20)), at(40))).toMatchObject({
      state: 'waiting',
      heldBy: { gate: 'upstream' },
    });
    const held = decide(dev, at(40));
    expect(held.state).toBe('waiting');
    expect(held.heldBy?.reason).toBe(
      'healthy in dev for 15m of 30m; restarted by degraded at 2026-12-02T10:20:00.000Z',
    );
    expect(decide(dev, at(55)).state).toBe('ready');
  });

  it('lets a newer digest in dev supersede an older candidate, whose soak no longer counts', () => {
    const dev = evidenceOf(event('deployed', 0, digestA), event('deployed', 20, digestB, '1.3.0'));
    const s = decide(dev, at(35));
    expect(s.candidate?.digest).toBe(digestB);
    expect(s.state).toBe('waiting');
    expect(decide(dev, at(50))).toMatchObject({ state: 'ready', candidate: { digest: digestB, tag: '1.3.0' } });
  });

  it('keeps the soak across a deploy of the same digest (a change of configuration only)', () => {
    const dev = evidenceOf(event('deployed', 0, digestA), event('deployed', 20, digestA));
    expect(decide(dev, at(30)).state).toBe('ready');
  });

  it('ignores a repeated or late event', () => {
    const first = event('deployed', 0, digestA);
    const late = event('degraded', -5);
    expect(evidenceOf(first, first, late)).toEqual(evidenceOf(first));
  });

  it('holds on a pending scan and blocks on critical findings, saying the counts', () => {
    const dev = evidenceOf(event('deployed', 0, digestA));
    expect(decide(dev, at(31), { scanOf: () => undefined })).toMatchObject({
      state: 'waiting',
      heldBy: { gate: 'scan', reason: 'the ECR scan of this digest is not complete yet' },
    });
    const critical: ScanResult = {
      status: 'complete',
      counts: { CRITICAL: 1, HIGH: 3 },
      at: at(1).toISOString(),
      source: 'event',
    };
    expect(decide(dev, at(31), { scanOf: () => critical })).toMatchObject({
      state: 'blocked',
      heldBy: {
        gate: 'scan',
        reason: '1 CRITICAL finding (at most 0 allowed), 3 HIGH findings (at most 2 allowed)',
      },
    });
    expect(nextCheckAt([decide(dev, at(31), { scanOf: () => critical })])).toBeUndefined();
    // Blocked during the soak too: the scan is named, not the soak still running.
    expect(decide(dev, at(5), { scanOf: () => critical })).toMatchObject({
      state: 'blocked',
      heldBy: { gate: 'scan' },
    });
  });

  it('never has a candidate dev did not deploy, nor one without a digest', () => {
    expect(decide(undefined, at(60)).state).toBe('no-candidate');
    expect(decide(evidenceOf(event('deployed', 0)), at(60))).toMatchObject({
      state: 'no-candidate',
      heldBy: { gate: 'upstream' },
    });
  });

  it('is promoted, not ready again, once the ledger holds the digest', () => {
    const dev = evidenceOf(event('deployed', 0, digestA));
    const promoted = { 'web-prod': { digest: digestA, tag: '1.2.0', at: at(30).toISOString(), sha: 'c'.repeat(40) } };
    expect(decide(dev, at(40), { promoted }).state).toBe('promoted');
  });

  it('waits outside the window and says when it opens', () => {
    const [windowed] = parsePromotions(`pipelines:
  - name: web
    stages:
      - { name: dev, cluster: dev }
      - name: prod
        cluster: prod
        policies: [web-prod]
        gates: { soak: 0s, window: { days: [wed], hours: "11:00-12:00", timeZone: UTC } }
`);
    const dev = evidenceOf(event('deployed', 0, digestA));
    const s = decide(dev, at(0), { stage: windowed!.stages[1]!, upstream: windowed!.stages[0]! });
    expect(s).toMatchObject({ state: 'waiting', heldBy: { gate: 'window' } });
    expect(nextCheckAt([s])).toEqual(new Date('2026-12-02T11:00:00Z'));
    expect(decide(dev, at(60), { stage: windowed!.stages[1]!, upstream: windowed!.stages[0]! }).state).toBe('ready');
  });
});
