import type { CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** A checkov check that does not apply to one resource, and why. */
export interface CheckovSkip {
  /** Check id, e.g. `CKV_AWS_27`. */
  readonly id: string;
  /** Why the check does not apply; checkov prints it as the suppression comment. */
  readonly comment: string;
}

/**
 * Records on a resource the checkov checks that do not apply to it, in the template metadata checkov reads
 * (`Metadata.checkov.skip`). Per resource rather than `--skip-check` for the run, so a new resource is checked in full.
 */
export function skipCheckov(construct: IConstruct, ...skips: CheckovSkip[]): void {
  const resource = (construct.node.defaultChild ?? construct) as CfnResource;
  const existing = (resource.getMetadata('checkov') as { skip?: CheckovSkip[] } | undefined)?.skip ?? [];
  resource.addMetadata('checkov', { skip: [...existing, ...skips] });
}

/** SQS-managed encryption, which checkov 3 does not recognise (it looks only for `KmsMasterKeyId`). */
export const sqsManagedEncryption: CheckovSkip = {
  id: 'CKV_AWS_27',
  comment:
    'Encrypted at rest with SQS-managed SSE (SqsManagedSseEnabled); a customer key would have to be shared with EventBridge, Lambda and every agent for no gain.',
};

/** A secret under the AWS-managed Secrets Manager key. */
export const secretsManagerKey: CheckovSkip = {
  id: 'CKV_AWS_149',
  comment:
    "Encrypted with the AWS-managed aws/secretsmanager key; only this stack's roles are granted GetSecretValue, which is the access that matters.",
};
