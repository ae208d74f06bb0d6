import route53 from '../../../reconcilers/route53';
import { reconcilerHandler } from '../reconciler-handler';

/** The Lambda of a folder mapped to `reconciler: route53` (DnsRecordSet). */
export const handler = reconcilerHandler(route53);
