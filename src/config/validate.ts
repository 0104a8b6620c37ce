import type { ConfigIssue } from '../errors.js';
import { type Cidr, cidrContains, cidrsOverlap, formatCidr, parseCidr } from './cidr.js';
import { validateMasters } from './masters.js';
import { isKnownRegion, KNOWN_REGIONS, zoneBelongsToRegion } from './regions.js';
import { DEFAULT_VPC_CIDR, deriveSubnetCidr } from './resolve.js';
import type { ClusterSpecDocument } from './schema.js';
import { didYouMean } from './suggest.js';
import { checkCidr, validateClusterRanges } from './validate-ranges.js';

/** PascalCase of a DNS-safe name, as used in CloudFormation logical ids (`gpu-workers` → `GpuWorkers`). */
export function pascalCase(name: string): string {
  return name
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}

const show = (v: unknown): string => JSON.stringify(v);

/**
 * Semantic checks that relate several fields. Pure: no AWS call, no file access. Returns every
 * issue found (empty when the spec is valid); each names the path, the bad value and the fix.
 */
export function validateClusterSpec(doc: ClusterSpecDocument): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });

  if (!isKnownRegion(doc.region)) {
    add('region', `unknown region ${show(doc.region)}: ${didYouMean(doc.region, KNOWN_REGIONS)}`);
  }
  const zones = doc.availabilityZones;
  const checkZones = (path: string, list: readonly string[]) => {
    const seen = new Set<string>();
    list.forEach((zone, i) => {
      if (!zoneBelongsToRegion(zone, doc.region)) {
        add(
          `${path}[${i}]`,
          `zone ${show(zone)} is not in region ${doc.region}: use ${doc.region}a, ${doc.region}b, ...`,
        );
      }
      if (seen.has(zone)) add(`${path}[${i}]`, `zone ${show(zone)} is listed twice: remove the duplicate`);
      seen.add(zone);
    });
  };
  checkZones('availabilityZones', zones);

  checkNetwork(doc, add);
  issues.push(...validateClusterRanges(doc));
  issues.push(...validateMasters(doc));

  checkCidrList('ssh.allowedCidrs', doc.ssh.allowedCidrs, add);
  if (doc.api.allowedCidrs) checkCidrList('api.allowedCidrs', doc.api.allowedCidrs, add);
  if (doc.api.dns && !doc.master.eip) {
    add(
      'api.dns',
      "the API record points at the masters' Elastic IPs, but master.eip is false: set master.eip: true",
    );
  }

  if (doc.workerGroups.length === 0 && doc.master.schedulable === false) {
    add(
      'master.schedulable',
      'false leaves no node for pods: a cluster without workerGroups runs its pods on the master (remove the field or set it to true), or add a worker group',
    );
  }

  const names = new Map<string, number>();
  const logicalIds = new Map<string, string>();
  let eipDemand = 0;
  doc.workerGroups.forEach((g, i) => {
    const p = `workerGroups[${i}]`;
    if (names.has(g.name)) {
      add(`${p}.name`, `${show(g.name)} is already used by workerGroups[${names.get(g.name)}]: rename one`);
    } else {
      names.set(g.name, i);
      const id = pascalCase(g.name);
      const other = logicalIds.get(id);
      if (other !== undefined) {
        add(
          `${p}.name`,
          `${show(g.name)} and ${show(other)} give the same CloudFormation id ${id}: rename one`,
        );
      }
      logicalIds.set(id, g.name);
    }
    if (g.min > g.max) add(`${p}.min`, `min (${g.min}) is above max (${g.max}): lower min or raise max`);
    if (g.desired > g.max)
      add(`${p}.desired`, `desired (${g.desired}) is above max (${g.max}): raise max or lower desired`);
    if (g.desired < g.min)
      add(`${p}.desired`, `desired (${g.desired}) is below min (${g.min}): lower min or raise desired`);
    if (g.zones) {
      checkZones(`${p}.zones`, g.zones);
      g.zones.forEach((zone, j) => {
        if (zoneBelongsToRegion(zone, doc.region) && !zones.includes(zone)) {
          add(
            `${p}.zones[${j}]`,
            `zone ${show(zone)} is not one of availabilityZones (${zones.join(', ')}): add it there or pick one of them`,
          );
        }
      });
    }
    if (g.eip) eipDemand += g.max;
  });
  if (eipDemand > doc.eipPool.size) {
    add(
      'eipPool.size',
      `worker groups with eip: true can run up to ${eipDemand} instances but the pool has ${doc.eipPool.size} addresses: set eipPool.size to at least ${eipDemand}`,
    );
  }

  for (const key of Object.keys(doc.tags)) {
    if (/^(aws|tugboat):/i.test(key)) {
      add(
        `tags[${show(key)}]`,
        `tag key ${show(key)} uses a reserved prefix (aws: and tugboat: are reserved): rename it`,
      );
    }
  }
  if (Object.keys(doc.tags).length > 40) {
    add(
      'tags',
      `${Object.keys(doc.tags).length} tags is too many (auto-scaling groups allow 50 including tugboat's own): keep at most 40`,
    );
  }
  return issues;
}

type Add = (path: string, message: string) => void;

function checkCidrList(path: string, list: readonly string[], add: Add): Cidr[] {
  const out: Cidr[] = [];
  list.forEach((text, i) => {
    const c = checkCidr(`${path}[${i}]`, text, add);
    if (c) out.push(c);
  });
  return out;
}

function checkNetwork(doc: ClusterSpecDocument, add: Add): void {
  const net = doc.network;
  const zones = doc.availabilityZones;
  const subnets = net.subnets ?? [];
  const seen = new Set<string>();
  subnets.forEach((s, i) => {
    const p = `network.subnets[${i}]`;
    if (!zones.includes(s.zone)) {
      add(
        `${p}.zone`,
        `zone ${show(s.zone)} is not one of availabilityZones (${zones.join(', ')}): fix the zone or add it there`,
      );
    }
    if (seen.has(s.zone))
      add(`${p}.zone`, `a subnet for ${show(s.zone)} is already given: give one subnet per zone`);
    seen.add(s.zone);
  });

  if (net.vpcId !== undefined) {
    if (net.vpcCidr !== undefined)
      add(
        'network.vpcCidr',
        'vpcCidr is for a new VPC and cannot be combined with vpcId: remove one of them',
      );
    const ids = new Set<string>();
    subnets.forEach((s, i) => {
      const p = `network.subnets[${i}]`;
      if (s.cidr !== undefined)
        add(`${p}.cidr`, 'with an existing vpcId give subnet ids, not cidrs: replace cidr with id');
      if (s.id === undefined)
        add(`${p}.id`, `missing the id of the existing subnet in ${s.zone}: add id: subnet-...`);
      else if (ids.has(s.id))
        add(`${p}.id`, `subnet ${show(s.id)} is listed twice: give a different subnet per zone`);
      else ids.add(s.id);
    });
    const missing = zones.filter((zone) => !seen.has(zone));
    if (missing.length > 0) {
      const example = missing.map((zone) => `{ zone: ${zone}, id: subnet-... }`).join(', ');
      add(
        'network.subnets',
        `no subnet given for ${missing.length === 1 ? 'zone' : 'zones'} ${missing.join(', ')}: add ${example}`,
      );
    }
    return;
  }

  subnets.forEach((s, i) => {
    if (s.id !== undefined)
      add(
        `network.subnets[${i}].id`,
        `subnet ids need an existing VPC: set network.vpcId, or remove id to let tugboat create the subnet`,
      );
  });
  const vpcText = net.vpcCidr ?? DEFAULT_VPC_CIDR;
  const vpc = checkCidr('network.vpcCidr', vpcText, add);
  if (!vpc) return;
  if (vpc.prefix < 16 || vpc.prefix > 24) {
    add(
      'network.vpcCidr',
      `${show(vpcText)} has prefix /${vpc.prefix}, but a VPC must be /16 to /24 here: e.g. 10.0.0.0/16`,
    );
    return;
  }
  const effective: { path: string; cidr: Cidr; text: string }[] = [];
  zones.forEach((zone, zi) => {
    const i = subnets.findIndex((s) => s.zone === zone);
    const given = i >= 0 ? subnets[i]!.cidr : undefined;
    if (given === undefined) {
      const text = deriveSubnetCidr(vpcText, zi);
      effective.push({ path: `network.subnets (derived for ${zone})`, cidr: parseCidr(text)!.cidr, text });
      return;
    }
    const path = `network.subnets[${i}].cidr`;
    const c = checkCidr(path, given, add);
    if (!c) return;
    if (!cidrContains(vpc, c)) {
      add(path, `${show(given)} is not inside the VPC ${formatCidr(vpc)}: pick a block inside it`);
    } else if (c.prefix > 28) {
      add(path, `${show(given)} is smaller than /28, the smallest AWS subnet: use /28 or larger`);
    } else {
      effective.push({ path, cidr: c, text: given });
    }
  });
  for (let a = 0; a < effective.length; a++) {
    for (let b = a + 1; b < effective.length; b++) {
      const x = effective[a]!;
      const y = effective[b]!;
      if (cidrsOverlap(x.cidr, y.cidr)) {
        const path = x.path.includes('derived') ? y.path : x.path;
        add(path, `${show(x.text)} overlaps ${show(y.text)}: give each zone its own block`);
      }
    }
  }
}
