import { type Candidate, type ClusterEvidence, candidateOf } from './evidence';
import { type PromotionStage, type ScanSeverity, scanSeverities } from './promotion-file';
import type { CandidateStanding, GateStanding, PromotionRecord, ScanResult } from './standing';
import { windowState } from './window';

/** Everything a stage's decision rests on. The promoter reads it; this module only judges it. */
export interface StageInput {
  pipeline: string;
  stage: PromotionStage;
  upstream: PromotionStage;
  /** The policies of the stage, with the repository each follows. */
  policies: readonly { name: string; repository: string }[];
  upstreamEvidence: ClusterEvidence | undefined;
  scanOf: (repository: string, digest: string) => ScanResult | undefined;
  /** The last promotion per policy into this stage. */
  promoted: Readonly<Record<string, PromotionRecord>>;
  now: Date;
}

/**
 * Where each policy's candidate stands in a stage: the gates in order (proven upstream, soak, scan, window) and
 * whether they let it in. Pure: the promoter, `tidemark promotions` and the UI all call this with what they read.
 *
 * - The candidate is only ever a digest the previous stage runs (its last `deployed` event named it): a digest that
 *   was never deployed upstream is never promoted, and a newer deploy upstream replaces an older candidate at once,
 *   whatever its soak.
 * - A scan still pending holds the candidate; findings over a threshold block it.
 * - Never-downgrade is the image updater's planner's rule, applied when the promoter writes.
 *
 * @example
 * const [web] = decideStage({ pipeline: 'web', stage: prod, upstream: dev, policies: [{ name: 'web-prod', repository }],
 *   upstreamEvidence, scanOf: () => undefined, promoted: {}, now: new Date() });
 * if (web?.state === 'ready') console.log('promote', web.candidate?.digest);
 */
export function decideStage(input: StageInput): CandidateStanding[] {
  return input.policies.map((policy) => decideCandidate(input, policy));
}

function decideCandidate(input: StageInput, policy: { name: string; repository: string }): CandidateStanding {
  const { stage, upstream } = input;
  const last = input.promoted[policy.name];
  const base = {
    pipeline: input.pipeline,
    stage: stage.name,
    from: upstream.name,
    cluster: stage.cluster,
    policy: policy.name,
    repository: policy.repository,
    ...(last ? { lastPromotion: last } : {}),
  };
  const candidate = candidateOf(input.upstreamEvidence, policy.repository);
  if (!candidate) {
    const reason = `${upstream.name} (cluster ${upstream.cluster}) has deployed no digest of ${policy.repository}. Pin digests there ('digest: pin' in its image policy) so a build can be proven`;
    return {
      ...base,
      state: 'no-candidate',
      gates: [{ gate: 'upstream', state: 'pending', reason }],
      heldBy: { gate: 'upstream', reason },
    };
  }
  const shown = {
    digest: candidate.digest,
    ...(candidate.tag ? { tag: candidate.tag } : {}),
    ...(candidate.revision ? { revision: candidate.revision } : {}),
    deployedAt: candidate.deployedAt,
    ...(candidate.healthySince ? { healthySince: candidate.healthySince } : {}),
  };
  const gates = gatesOf(input, candidate);
  if (last?.digest === candidate.digest) return { ...base, state: 'promoted', candidate: shown, gates };
  // A gate that will not open for this digest is the one to name, ahead of one that is only waiting (a soak running).
  const held = gates.find((g) => g.state === 'blocked') ?? gates.find((g) => g.state !== 'passed');
  return {
    ...base,
    state: !held ? 'ready' : gates.some((g) => g.state === 'blocked') ? 'blocked' : 'waiting',
    candidate: shown,
    gates,
    ...(held ? { heldBy: { gate: held.gate, reason: held.reason } } : {}),
  };
}

function gatesOf(input: StageInput, candidate: Candidate): GateStanding[] {
  const { stage, upstream, now } = input;
  const gates = stage.gates!;
  const healthy = candidate.healthySince !== undefined;
  const out: GateStanding[] = [
    {
      gate: 'upstream',
      state: healthy ? 'passed' : 'pending',
      reason: healthy
        ? `${label(candidate)} deployed in ${upstream.name} at ${candidate.deployedAt}${candidate.revision ? ` (revision ${candidate.revision.slice(0, 7)})` : ''}`
        : `${label(candidate)} is not healthy in ${upstream.name}: ${candidate.reset ? `${candidate.reset.kind} (${candidate.reset.reason}) at ${candidate.reset.at}` : 'no healthy deploy seen'}`,
    },
  ];
  if (healthy) {
    const since = Date.parse(candidate.healthySince!);
    const provenFor = Math.max(0, Math.floor((now.getTime() - since) / 1000));
    const opensAt = new Date(since + gates.soakSeconds * 1000);
    out.push(
      provenFor >= gates.soakSeconds
        ? {
            gate: 'soak',
            state: 'passed',
            reason: `healthy in ${upstream.name} for ${human(provenFor)} (soak ${human(gates.soakSeconds)})`,
          }
        : {
            gate: 'soak',
            state: 'pending',
            reason: `healthy in ${upstream.name} for ${human(provenFor)} of ${human(gates.soakSeconds)}${candidate.reset ? `; restarted by ${candidate.reset.kind} at ${candidate.reset.at}` : ''}`,
            opensAt: opensAt.toISOString(),
          },
    );
  } else {
    out.push({
      gate: 'soak',
      state: 'pending',
      reason: `the soak of ${human(gates.soakSeconds)} starts when ${upstream.name} is healthy again`,
    });
  }
  if (gates.scan) out.push(scanGate(gates.scan.maxFindings, input.scanOf(candidate.repository, candidate.digest)));
  if (gates.window) {
    const w = windowState(gates.window, now);
    out.push(
      w.open
        ? { gate: 'window', state: 'passed', reason: `inside ${gates.window.text}` }
        : {
            gate: 'window',
            state: 'pending',
            reason: `outside ${gates.window.text}${w.opensAt ? `; opens at ${w.opensAt.toISOString()}` : ''}`,
            ...(w.opensAt ? { opensAt: w.opensAt.toISOString() } : {}),
          },
    );
  }
  return out;
}

/** The scan gate: pending until ECR has a complete scan, blocked when a severity is over its threshold or it failed. */
export function scanGate(max: Partial<Record<ScanSeverity, number>>, scan: ScanResult | undefined): GateStanding {
  if (!scan || scan.status === 'pending') {
    return { gate: 'scan', state: 'pending', reason: 'the ECR scan of this digest is not complete yet' };
  }
  if (scan.status === 'failed') {
    return {
      gate: 'scan',
      state: 'blocked',
      reason: `ECR could not scan this digest${scan.description ? ` (${scan.description})` : ''}; a build it can scan is needed`,
    };
  }
  const over = scanSeverities.filter((s) => max[s] !== undefined && (scan.counts[s] ?? 0) > max[s]!);
  if (over.length > 0) {
    return {
      gate: 'scan',
      state: 'blocked',
      reason: over
        .map((s) => `${scan.counts[s]} ${s} finding${scan.counts[s] === 1 ? '' : 's'} (at most ${max[s]} allowed)`)
        .join(', '),
    };
  }
  return { gate: 'scan', state: 'passed', reason: `findings ${countsText(scan.counts)}, within the thresholds` };
}

/** `CRITICAL 0, HIGH 2` (every severity ECR reported), or `none`. */
export function countsText(counts: ScanResult['counts']): string {
  const listed = scanSeverities.filter((s) => counts[s] !== undefined).map((s) => `${s} ${counts[s]}`);
  return listed.length > 0 ? listed.join(', ') : 'none';
}

/** The earliest time a gate opens by the clock alone (soak end, window opening): when to look again. */
export function nextCheckAt(standings: readonly CandidateStanding[]): Date | undefined {
  const times = standings
    .filter((s) => s.state === 'waiting')
    .flatMap((s) =>
      s.heldBy ? s.gates.filter((g) => g.state === 'pending' && g.opensAt).map((g) => Date.parse(g.opensAt!)) : [],
    );
  return times.length > 0 ? new Date(Math.min(...times)) : undefined;
}

function label(c: Candidate): string {
  return `${c.tag ?? '(untagged)'}@${c.digest.slice(0, 19)}`;
}

/** `45s`, `4m`, `1h30m`. */
export function human(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return [h ? `${h}h` : '', m ? `${m}m` : '', s || (!h && !m) ? `${s}s` : ''].join('');
}
