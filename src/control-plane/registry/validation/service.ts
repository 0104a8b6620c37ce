import { isIP } from 'node:net';
import type { StatusCause, UntypedObject } from '../../../kube/index.js';
import {
  absent,
  duplicate,
  enumAt,
  forbidden,
  GoValue,
  intAt,
  invalid,
  isRecord,
  listAt,
  recordAt,
  required,
  stringAt,
  unsupported,
} from './field.js';
import { checkDns1035, checkLabelName, checkLabels, checkQualifiedName, checkSubdomain } from './names.js';
import { checkPortNumber, checkPortNumOrName, protocols } from './ports.js';

/**
 * `ValidateService` (create and update) with kube-apiserver's paths and messages: type, ports
 * (named when more than one, unique by name and by port+protocol, targetPort), clusterIP and
 * headless Services, ExternalName, traffic policies and session affinity. Node ports are checked
 * where they are allocated (api/node-ports.ts).
 */

const types = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const trafficPolicies = ['Cluster', 'Local'];
const MAX_AFFINITY_SECONDS = 86400;
const IP_MSG = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

/** Upstream's defaults that validation relies on (`SetDefaults_Service`), applied in place. */
export function defaultServicePolicies(spec: Record<string, unknown>): void {
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = spec.sessionAffinityConfig;
    const clientIP = isRecord(cfg) ? cfg.clientIP : undefined;
    if (!isRecord(clientIP) || absent(clientIP.timeoutSeconds))
      spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
  }
  if (externallyAccessible(spec) && absent(spec.externalTrafficPolicy))
    spec.externalTrafficPolicy = 'Cluster';
  if (spec.type !== 'ExternalName' && absent(spec.internalTrafficPolicy))
    spec.internalTrafficPolicy = 'Cluster';
}

/**
 * The part of the strategy's `dropTypeDependentFields` for traffic policy: a Service that stops
 * being externally accessible drops the externalTrafficPolicy it had, unless the client changed it.
 */
export function dropStaleTrafficPolicy(obj: UntypedObject, old: UntypedObject): void {
  if (!isRecord(obj.spec) || !isRecord(old.spec)) return;
  dropTypeDependentAddresses(obj.spec, old.spec);
  dropStaleHealthCheckPort(obj.spec, old.spec);
  if (!externallyAccessible(old.spec) || externallyAccessible(obj.spec)) return;
  if (obj.spec.externalTrafficPolicy === old.spec.externalTrafficPolicy)
    delete obj.spec.externalTrafficPolicy;
}

/**
 * Upstream's `dropTypeDependentFields` for the health check port: a Service that no longer needs
 * one drops the port it had, unless the client changed it (then validation refuses it).
 */
function dropStaleHealthCheckPort(spec: Record<string, unknown>, old: Record<string, unknown>): void {
  if (
    needsHealthCheck(old) &&
    !needsHealthCheck(spec) &&
    spec.healthCheckNodePort === old.healthCheckNodePort
  )
    delete spec.healthCheckNodePort;
}

/** `service.NeedsHealthCheck`: a LoadBalancer Service with `externalTrafficPolicy: Local`. */
export function needsHealthCheck(spec: Record<string, unknown>): boolean {
  return spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';
}

/**
 * The rest of upstream's `dropTypeDependentFields`: a change to ExternalName wipes cluster IPs the
 * client left as they were, and a change to a type without node ports wipes node ports left as
 * they were (the allocators then release them), so `kubectl edit` of the type alone succeeds.
 */
function dropTypeDependentAddresses(spec: Record<string, unknown>, old: Record<string, unknown>): void {
  if (old.type !== 'ExternalName' && spec.type === 'ExternalName') {
    const same = JSON.stringify(spec.clusterIPs ?? null) === JSON.stringify(old.clusterIPs ?? null);
    if (same && (spec.clusterIP ?? '') === (old.clusterIP ?? '')) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
  }
  if (needsNodePorts(old) && !needsNodePorts(spec) && Array.isArray(spec.ports) && Array.isArray(old.ports)) {
    const ports = (list: unknown[]) => JSON.stringify(list.map((p) => (isRecord(p) ? (p.nodePort ?? 0) : 0)));
    if (ports(spec.ports) === ports(old.ports))
      for (const p of spec.ports) if (isRecord(p)) delete p.nodePort;
  }
}

function needsNodePorts(spec: Record<string, unknown>): boolean {
  return (
    spec.type === 'NodePort' || (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false)
  );
}

/** `service.ExternallyAccessible`. */
function externallyAccessible(spec: Record<string, unknown>): boolean {
  return (
    spec.type === 'LoadBalancer' ||
    spec.type === 'NodePort' ||
    (spec.type === 'ClusterIP' && Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0)
  );
}

/** `%#v` of the {protocol, port} key upstream reports a duplicate port with. */
function portKey(protocol: string, port: unknown): GoValue {
  return new GoValue(
    `core.ServicePort{Name:"", Protocol:${JSON.stringify(protocol)}, AppProtocol:(*string)(nil), Port:${Number(port) || 0}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`,
  );
}

function checkPorts(spec: Record<string, unknown>, headless: boolean, causes: StatusCause[]): void {
  const ports = listAt(spec.ports, 'spec.ports', causes);
  if (
    ports.length === 0 &&
    !headless &&
    spec.type !== 'ExternalName' &&
    (absent(spec.ports) || Array.isArray(spec.ports))
  )
    causes.push(required('spec.ports'));
  const names = new Set<string>();
  const keys = new Set<string>();
  for (const [i, item] of ports) {
    const at = `spec.ports[${i}]`;
    const p = recordAt(item, at, causes);
    if (!p) continue;
    const name = stringAt(p.name, `${at}.name`, causes);
    if (ports.length > 1 && !name) causes.push(required(`${at}.name`));
    else if (name) {
      causes.push(...checkLabelName(name, `${at}.name`));
      if (names.has(name)) causes.push(duplicate(`${at}.name`, name));
      names.add(name);
    }
    checkPortNumber(p.port, `${at}.port`, causes);
    const protocol = stringAt(p.protocol, `${at}.protocol`, causes);
    if (!protocol) causes.push(required(`${at}.protocol`));
    else if (!protocols.includes(protocol)) causes.push(unsupported(`${at}.protocol`, protocol, protocols));
    if (!absent(p.targetPort)) checkPortNumOrName(p.targetPort, `${at}.targetPort`, causes);
    const app = stringAt(p.appProtocol, `${at}.appProtocol`, causes);
    if (app !== undefined) causes.push(...checkQualifiedName(app, `${at}.appProtocol`));
    const key = `${protocol ?? ''}/${String(p.port)}`;
    if (keys.has(key)) causes.push(duplicate(at, portKey(protocol ?? '', p.port)));
    keys.add(key);
  }
}

function checkClusterIPs(spec: Record<string, unknown>, causes: StatusCause[]): void {
  const ip = stringAt(spec.clusterIP, 'spec.clusterIP', causes) ?? '';
  const ips: string[] = [];
  for (const [i, v] of listAt(spec.clusterIPs, 'spec.clusterIPs', causes)) {
    const s = stringAt(v, `spec.clusterIPs[${i}]`, causes);
    if (s !== undefined) ips.push(s);
  }
  if (spec.type === 'ExternalName') {
    if (ip) causes.push(forbidden('spec.clusterIP', 'may not be set for ExternalName services'));
    if (ips.length) causes.push(forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    const name = (stringAt(spec.externalName, 'spec.externalName', causes) ?? '').replace(/\.$/, '');
    if (!name) causes.push(required('spec.externalName'));
    else causes.push(...checkSubdomain(name, 'spec.externalName'));
    return;
  }
  if (ip && ips.length === 0) causes.push(required('spec.clusterIPs'));
  else if (ip && ips[0] !== ip)
    causes.push(invalid('spec.clusterIPs', ips, 'first value must match `clusterIP`'));
  else if (!ip && ips.length)
    causes.push(invalid('spec.clusterIPs', ips, 'must be empty when `clusterIP` is not specified'));
  ips.forEach((v, i) => {
    if (i === 0 && v === 'None') {
      if (ips.length > 1)
        causes.push(invalid('spec.clusterIPs', ips, "'None' must be the first and only value"));
    } else if (!isIP(v)) causes.push(invalid(`spec.clusterIPs[${i}]`, v, IP_MSG));
  });
  if (ip === 'None' && (spec.type === 'NodePort' || spec.type === 'LoadBalancer'))
    causes.push(invalid('spec.clusterIP', ip, `may not be set to 'None' for ${spec.type} services`));
}

function checkAffinity(spec: Record<string, unknown>, causes: StatusCause[]): void {
  const affinity = stringAt(spec.sessionAffinity, 'spec.sessionAffinity', causes);
  if (affinity !== undefined && affinity !== 'None' && affinity !== 'ClientIP')
    causes.push(unsupported('spec.sessionAffinity', affinity, ['ClientIP', 'None']));
  const cfgPath = 'spec.sessionAffinityConfig';
  if (affinity === 'None' && !absent(spec.sessionAffinityConfig))
    causes.push(forbidden(cfgPath, 'must not be set when session affinity is None'));
  if (affinity !== 'ClientIP') return;
  const cfg = recordAt(spec.sessionAffinityConfig, cfgPath, causes);
  const clientIP = cfg ? recordAt(cfg.clientIP, `${cfgPath}.clientIP`, causes) : undefined;
  const at = `${cfgPath}.clientIP.timeoutSeconds`;
  const seconds = clientIP ? intAt(clientIP.timeoutSeconds, at, causes) : undefined;
  if (seconds === undefined) {
    if (!clientIP || absent(clientIP.timeoutSeconds))
      causes.push(required(at, 'when session affinity type is ClientIP'));
  } else if (seconds <= 0 || seconds > MAX_AFFINITY_SECONDS)
    causes.push(invalid(at, seconds, `must be greater than 0 and less than ${MAX_AFFINITY_SECONDS}`));
}

/**
 * `healthCheckNodePort` only where a health check is needed, and a port number there. Where it is
 * needed and absent the allocator gives one (kube-apiserver allocates before it validates).
 */
function checkHealthCheckPort(spec: Record<string, unknown>, causes: StatusCause[]): void {
  const at = 'spec.healthCheckNodePort';
  if (absent(spec.healthCheckNodePort) || spec.healthCheckNodePort === 0) return;
  if (!needsHealthCheck(spec))
    causes.push(
      invalid(
        at,
        spec.healthCheckNodePort,
        "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
      ),
    );
  else checkPortNumber(spec.healthCheckNodePort, at, causes);
}

/** The whole Service: name, selector, type and everything above. */
export function checkService(obj: UntypedObject): StatusCause[] {
  const causes = [
    ...checkDns1035(String(obj.metadata?.name ?? ''), 'metadata.name'),
    ...checkLabels(isRecord(obj.spec) ? obj.spec.selector : undefined, 'spec.selector'),
  ];
  const spec = recordAt(obj.spec, 'spec', causes);
  if (!spec) return causes;
  const type = stringAt(spec.type, 'spec.type', causes);
  if (type !== undefined && !types.includes(type)) causes.push(unsupported('spec.type', type, types));
  checkClusterIPs(spec, causes);
  checkPorts(spec, spec.clusterIP === 'None', causes);
  checkAffinity(spec, causes);
  const etp = stringAt(spec.externalTrafficPolicy, 'spec.externalTrafficPolicy', causes);
  if (!externallyAccessible(spec)) {
    if (etp)
      causes.push(
        invalid('spec.externalTrafficPolicy', etp, 'may only be set for externally-accessible services'),
      );
  } else if (!etp) causes.push(required('spec.externalTrafficPolicy'));
  else if (!trafficPolicies.includes(etp))
    causes.push(unsupported('spec.externalTrafficPolicy', etp, trafficPolicies));
  checkHealthCheckPort(spec, causes);
  enumAt(spec.internalTrafficPolicy, 'spec.internalTrafficPolicy', trafficPolicies, causes);
  for (const [i, v] of listAt(spec.externalIPs, 'spec.externalIPs', causes)) {
    const s = stringAt(v, `spec.externalIPs[${i}]`, causes);
    if (s !== undefined && !isIP(s)) causes.push(invalid(`spec.externalIPs[${i}]`, s, IP_MSG));
  }
  return causes;
}
