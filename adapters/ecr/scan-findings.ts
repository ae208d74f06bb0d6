import {
  DescribeImageScanFindingsCommand,
  ECRClient,
  ImageNotFoundException,
  ScanNotFoundException,
} from '@aws-sdk/client-ecr';
import { type ScanSeverity, scanSeverities } from '../../core/promotion/promotion-file';
import type { ScanResult } from '../../core/promotion/standing';
import { ecrRepositoryOf } from './ecr-images';

/**
 * What ECR's scan says of one digest now (`DescribeImageScanFindings`): the promoter's catch-up when the
 * `ECR Image Scan` event was missed, and the CLI's view. A scan that has not started (`ScanNotFoundException`: scan on
 * push is off, or ECR has not got to it) or is in progress is `pending`, which holds a promotion; only the severity
 * counts are read, never the findings themselves.
 */
export async function describeScanFindings(
  repository: string,
  digest: string,
  options: { client?: ECRClient; now?: () => Date } = {},
): Promise<ScanResult> {
  const { registryId, region, repositoryName } = ecrRepositoryOf(repository);
  const client = options.client ?? new ECRClient({ region });
  const at = (options.now?.() ?? new Date()).toISOString();
  try {
    const out = await client.send(
      new DescribeImageScanFindingsCommand({
        registryId,
        repositoryName,
        imageId: { imageDigest: digest },
        maxResults: 1,
      }),
    );
    const status = out.imageScanStatus?.status ?? 'PENDING';
    return {
      status: scanStatusOf(status),
      counts: severityCounts(out.imageScanFindings?.findingSeverityCounts ?? {}),
      ...(out.imageScanStatus?.description ? { description: out.imageScanStatus.description.slice(0, 300) } : {}),
      at,
      source: 'describe',
    };
  } catch (e) {
    if (e instanceof ScanNotFoundException) {
      return {
        status: 'pending',
        counts: {},
        description: 'no scan yet (is scan on push enabled?)',
        at,
        source: 'describe',
      };
    }
    if (e instanceof ImageNotFoundException) {
      return {
        status: 'failed',
        counts: {},
        description: 'the image is not in ECR (deleted?)',
        at,
        source: 'describe',
      };
    }
    throw e;
  }
}

/** ECR's scan statuses (basic and enhanced scanning) as the gate reads them. */
export function scanStatusOf(status: string): ScanResult['status'] {
  switch (status.toUpperCase()) {
    case 'COMPLETE':
    case 'ACTIVE':
      return 'complete';
    case 'IN_PROGRESS':
    case 'PENDING':
      return 'pending';
    default:
      return 'failed';
  }
}

/** The counts of known severities; anything else ECR may add is dropped. */
export function severityCounts(raw: Record<string, number | undefined>): Partial<Record<ScanSeverity, number>> {
  const counts: Partial<Record<ScanSeverity, number>> = {};
  for (const s of scanSeverities) {
    const n = raw[s];
    if (typeof n === 'number' && Number.isInteger(n) && n >= 0) counts[s] = n;
  }
  return counts;
}
