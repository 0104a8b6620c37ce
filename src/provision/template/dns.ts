import type { ClusterSpec } from '../../config/types.js';
import { IDS } from './names.js';
import { type CfnResource, ref } from './types.js';

/** The API host name without a trailing dot, or undefined when the spec has no DNS record. */
export function apiHostName(spec: ClusterSpec): string | undefined {
  return spec.api.dns?.recordName.replace(/\.$/, '');
}

/** An A record for the API pointing at the master's Elastic IP, when the spec asks for one. */
export function buildDns(spec: ClusterSpec): Record<string, CfnResource> {
  const dns = spec.api.dns;
  if (!dns) return {};
  return {
    [IDS.apiDnsRecord]: {
      Type: 'AWS::Route53::RecordSet',
      Properties: {
        HostedZoneId: dns.hostedZoneId.replace(/^\/hostedzone\//, ''),
        Name: `${apiHostName(spec)}.`,
        Type: 'A',
        TTL: String(dns.ttl),
        ResourceRecords: [ref(IDS.masterEip)],
      },
    },
  };
}
