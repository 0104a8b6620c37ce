import type { StatusCause } from '../../../kube/index.js';
import {
  absent,
  boolAt,
  duplicate,
  enumAt,
  forbidden,
  invalid,
  isRecord,
  listAt,
  nonNegativeAt,
  notFound,
  recordAt,
  required,
  stringAt,
  typeInvalid,
  unsupported,
} from './field.js';
import { checkUniqueName } from './names.js';
import { checkPortNumber, checkPortNumOrName, portNameProblems, protocols } from './ports.js';
import { checkResources } from './quantity.js';

function stringList(value: unknown, field: string, causes: StatusCause[]): void {
  for (const [i, v] of listAt(value, field, causes))
    if (typeof v !== 'string') causes.push(typeInvalid(`${field}[${i}]`, v, 'string'));
}

/** `validateContainerPorts`: numbers, protocol, unique IANA names. */
function checkPorts(value: unknown, field: string, causes: StatusCause[]): void {
  const names = new Set<string>();
  for (const [i, item] of listAt(value, field, causes)) {
    const at = `${field}[${i}]`;
    const p = recordAt(item, at, causes);
    if (!p) continue;
    const name = stringAt(p.name, `${at}.name`, causes);
    if (name) {
      for (const problem of portNameProblems(name)) causes.push(invalid(`${at}.name`, name, problem));
      if (names.has(name)) causes.push(duplicate(`${at}.name`, name));
      names.add(name);
    }
    checkPortNumber(p.containerPort, `${at}.containerPort`, causes);
    checkPortNumber(p.hostPort, `${at}.hostPort`, causes, false);
    const protocol = stringAt(p.protocol, `${at}.protocol`, causes);
    if (protocol !== undefined && !protocols.includes(protocol))
      causes.push(unsupported(`${at}.protocol`, protocol, protocols));
    stringAt(p.hostIP, `${at}.hostIP`, causes);
  }
}

const ENV_NAME = /^[\x20-\x3c\x3e-\x7e]+$/;
const envSources = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'];

/** `ValidateEnv`: names (printable ASCII but '='), a value or exactly one valueFrom source. */
function checkEnv(value: unknown, field: string, causes: StatusCause[]): void {
  for (const [i, item] of listAt(value, field, causes)) {
    const at = `${field}[${i}]`;
    const e = recordAt(item, at, causes);
    if (!e) continue;
    const name = stringAt(e.name, `${at}.name`, causes);
    if (!name) {
      if (absent(e.name) || name === '') causes.push(required(`${at}.name`));
    } else if (!ENV_NAME.test(name)) {
      causes.push(
        invalid(
          `${at}.name`,
          name,
          "a valid environment variable name must consist only of printable ASCII characters other than '='",
        ),
      );
    }
    const val = stringAt(e.value, `${at}.value`, causes);
    const from = recordAt(e.valueFrom, `${at}.valueFrom`, causes);
    if (!from) continue;
    const set = envSources.filter((s) => !absent(from[s]));
    if (set.length === 0)
      causes.push(
        invalid(
          `${at}.valueFrom`,
          '',
          'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
        ),
      );
    else if (set.length > 1)
      causes.push(invalid(`${at}.valueFrom`, '', 'may not have more than one field specified at a time'));
    if (val) causes.push(invalid(`${at}.valueFrom`, '', 'may not be specified when `value` is not empty'));
    for (const s of set) {
      const ref = recordAt(from[s], `${at}.valueFrom.${s}`, causes);
      if (!ref) continue;
      const key = s === 'fieldRef' ? 'fieldPath' : s === 'resourceFieldRef' ? 'resource' : 'key';
      if (!stringAt(ref[key], `${at}.valueFrom.${s}.${key}`, causes))
        causes.push(required(`${at}.valueFrom.${s}.${key}`));
    }
  }
}

const handlers = ['exec', 'httpGet', 'tcpSocket', 'grpc'];

/** `validateProbe` and its handler: one handler, non-negative timings, valid ports. */
function checkProbe(value: unknown, field: string, causes: StatusCause[], successMustBeOne: boolean): void {
  const p = recordAt(value, field, causes);
  if (!p) return;
  const set = handlers.filter((h) => !absent(p[h]));
  if (set.length === 0) causes.push(required(field, 'must specify a handler type'));
  for (const h of set.slice(1))
    causes.push(forbidden(`${field}.${h}`, 'may not specify more than 1 handler type'));
  for (const n of [
    'initialDelaySeconds',
    'timeoutSeconds',
    'periodSeconds',
    'successThreshold',
    'failureThreshold',
  ])
    nonNegativeAt(p[n], `${field}.${n}`, causes);
  if (successMustBeOne && typeof p.successThreshold === 'number' && p.successThreshold !== 1)
    causes.push(invalid(`${field}.successThreshold`, p.successThreshold, 'must be 1'));
  const exec = recordAt(p.exec, `${field}.exec`, causes);
  if (exec) {
    if (absent(exec.command)) causes.push(required(`${field}.exec.command`));
    stringList(exec.command, `${field}.exec.command`, causes);
  }
  const http = recordAt(p.httpGet, `${field}.httpGet`, causes);
  if (http) {
    checkPortNumOrName(http.port, `${field}.httpGet.port`, causes);
    stringAt(http.path, `${field}.httpGet.path`, causes);
    enumAt(http.scheme, `${field}.httpGet.scheme`, ['HTTP', 'HTTPS'], causes);
  }
  const tcp = recordAt(p.tcpSocket, `${field}.tcpSocket`, causes);
  if (tcp) checkPortNumOrName(tcp.port, `${field}.tcpSocket.port`, causes);
  const grpc = recordAt(p.grpc, `${field}.grpc`, causes);
  if (grpc) checkPortNumber(grpc.port, `${field}.grpc.port`, causes);
}

/** `ValidateVolumeMounts`: a known volume name, a unique mount path. */
function checkVolumeMounts(
  value: unknown,
  field: string,
  volumes: ReadonlySet<string>,
  causes: StatusCause[],
): void {
  const paths = new Set<string>();
  for (const [i, item] of listAt(value, field, causes)) {
    const at = `${field}[${i}]`;
    const m = recordAt(item, at, causes);
    if (!m) continue;
    const name = stringAt(m.name, `${at}.name`, causes);
    if (!name) causes.push(required(`${at}.name`));
    else if (!volumes.has(name)) causes.push(notFound(`${at}.name`, name));
    const path = stringAt(m.mountPath, `${at}.mountPath`, causes);
    if (!path) causes.push(required(`${at}.mountPath`));
    else if (paths.has(path)) causes.push(invalid(`${at}.mountPath`, path, 'must be unique'));
    else paths.add(path);
    boolAt(m.readOnly, `${at}.readOnly`, causes);
    stringAt(m.subPath, `${at}.subPath`, causes);
  }
}

const pullPolicies = ['Always', 'IfNotPresent', 'Never'];
const messagePolicies = ['File', 'FallbackToLogsOnError'];

/**
 * One container (app or init): name, image, command and args, ports, env, resources, probes and
 * volume mounts. `names` collects container names across the pod for the duplicate check.
 */
export function checkContainer(
  item: unknown,
  at: string,
  names: Set<string>,
  volumes: ReadonlySet<string>,
  init: boolean,
): StatusCause[] {
  const causes: StatusCause[] = [];
  const c = recordAt(item, at, causes);
  if (!c) return causes;
  checkUniqueName(c.name, `${at}.name`, names, causes);
  const image = stringAt(c.image, `${at}.image`, causes);
  if (!image?.trim()) causes.push(required(`${at}.image`));
  stringList(c.command, `${at}.command`, causes);
  stringList(c.args, `${at}.args`, causes);
  stringAt(c.workingDir, `${at}.workingDir`, causes);
  checkPorts(c.ports, `${at}.ports`, causes);
  checkEnv(c.env, `${at}.env`, causes);
  for (const [i, e] of listAt(c.envFrom, `${at}.envFrom`, causes)) {
    if (!isRecord(e)) causes.push(typeInvalid(`${at}.envFrom[${i}]`, e, 'object'));
  }
  causes.push(...checkResources(c.resources, `${at}.resources`));
  const probes = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;
  for (const probe of probes) {
    if (init && !absent(c[probe]) && c.restartPolicy !== 'Always') {
      causes.push(
        forbidden(`${at}.${probe}`, 'may not be set for init containers without restartPolicy=Always'),
      );
      continue;
    }
    checkProbe(c[probe], `${at}.${probe}`, causes, probe !== 'readinessProbe');
  }
  checkVolumeMounts(c.volumeMounts, `${at}.volumeMounts`, volumes, causes);
  const pull = stringAt(c.imagePullPolicy, `${at}.imagePullPolicy`, causes);
  if (pull !== undefined && !pullPolicies.includes(pull))
    causes.push(unsupported(`${at}.imagePullPolicy`, pull, pullPolicies));
  const tmp = stringAt(c.terminationMessagePolicy, `${at}.terminationMessagePolicy`, causes);
  if (tmp !== undefined && !messagePolicies.includes(tmp))
    causes.push(unsupported(`${at}.terminationMessagePolicy`, tmp, messagePolicies));
  return causes;
}
