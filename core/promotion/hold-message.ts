import type { GateName } from './standing';

/** A hold as the alerts topic carries it: what is held, by which gate, and why. */
export interface HoldNotice {
  pipeline: string;
  stage: string;
  policy: string;
  digest?: string;
  gate: GateName;
  reason: string;
}

/**
 * The SNS message of a blocked promotion: a subject under SNS's 100 characters, the reason and digest in the body,
 * and attributes for subscription filter policies (`kind: promotion-blocked`, the pipeline and stage).
 */
export function holdMessage(hold: HoldNotice): {
  subject: string;
  message: string;
  attributes: Record<string, string>;
} {
  const subject = `Tidemark: ${hold.policy} → ${hold.stage} blocked by gate ${hold.gate}`;
  return {
    subject: subject.length > 99 ? `${subject.slice(0, 98)}…` : subject,
    message: [
      `The promotion of ${hold.policy} into ${hold.stage} (pipeline ${hold.pipeline}) is blocked by gate ${hold.gate}: ${hold.reason}.`,
      ...(hold.digest ? [`Candidate: ${hold.digest}`] : []),
      'It will not be retried for this digest; a newer build that passes every gate is promoted as usual.',
      'See `tidemark promotions` for every stage.',
    ].join('\n'),
    attributes: {
      kind: 'promotion-blocked',
      pipeline: hold.pipeline,
      stage: hold.stage,
      severity: 'warning',
      source: 'promotion',
    },
  };
}
