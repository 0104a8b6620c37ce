import type { ClusterSpec } from '../../config/types.js';
import { IDS, masterEipId, ownershipTxt } from './names.js';
import { type CfnResource, ref } from './types.js';

/** The API host name without a trailing dot, or undefined when the spec has no DNS record. */
export function apiHostName(spec: ClusterSpec): string | undefined {
  return spec.api.dns?.recordName.replace(/\.$/, '');
}

/**
 * An A record for the API holding every master's Elastic IP (one value per master: resolvers hand
 * them out in turn and kubectl tries the next when one does not answer), when the spec asks for one, and a
 * TXT record of the same name holding the cluster's ownership marker (Route 53 records carry no
 * tags; a name may hold an A and a TXT record, only CNAME excludes others). `tugboat delete`
 * sweeps a name in a zone it did not create only when that marker is there.
 */
export function buildDns(spec: ClusterSpec): Record<string, CfnResource> {
  const dns = spec.api.dns;
  if (!dns) return {};
  const record = (type: string, values: unknown[]) => ({
    Type: 'AWS::Route53::RecordSet',
    Properties: {
      HostedZoneId: dns.hostedZoneId.replace(/^\/hostedzone\//, ''),
      Name: `${apiHostName(spec)}.`,
      Type: type,
      TTL: String(dns.ttl),
      ResourceRecords: values,
    },
  });
  return {
    [IDS.apiDnsRecord]: record(
      'A',
      Array.from({ length: spec.master.count }, (_, i) => ref(masterEipId(i + 1))),
    ),
    [IDS.apiDnsOwnerRecord]: record('TXT', [ownershipTxt(spec.name)]),
  };
}
