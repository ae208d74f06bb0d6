import { dnsRecordSet } from './dns-record-set';

/** The Route 53 reconcilers (`reconciler: route53`): `DnsRecordSet`. */
export default [dnsRecordSet];
export { DnsRecordSetSpec, dnsRecordSet, Route53Settings } from './dns-record-set';
