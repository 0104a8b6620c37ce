import type { StatusCause } from '../../../kube/index.js';
import { checkEnv, checkEnvFrom } from './env.js';
import {
  absent,
  boolAt,
  duplicate,
  forbidden,
  invalid,
  isRecord,
  listAt,
  notFound,
  recordAt,
  required,
  stringAt,
  stringListAt,
  unsupported,
} from './field.js';
import { checkLifecycle, checkProbe } from './handlers.js';
import { checkUniqueName } from './names.js';
import { checkPortNumber, portNameProblems, protocols } from './ports.js';
import { checkResources } from './quantity.js';
import { checkContainerSecurityContext } from './security-context.js';

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

/** What a container's checks need from its pod. */
export interface ContainerContext {
  /** Container names seen so far in the pod (all kinds), for the duplicate check. */
  readonly names: Set<string>;
  /** The pod's volume names, which mounts must refer to. */
  readonly volumes: ReadonlySet<string>;
  /** The pod's terminationGracePeriodSeconds, which bounds a preStop sleep. */
  readonly gracePeriod: number | undefined;
}

/** Which list a container is in: app, init or ephemeral containers differ in what they may set. */
export type ContainerKind = 'app' | 'init' | 'ephemeral';

/**
 * Fields an ephemeral container may not set (`allowedEphemeralContainerFields` is the complement),
 * in the order of the Go struct, which is the order upstream reports them.
 */
const notForEphemeral = [
  'ports',
  'resources',
  'resizePolicy',
  'restartPolicy',
  'livenessProbe',
  'readinessProbe',
  'startupProbe',
  'lifecycle',
];

/** `validateFieldAllowList` for ephemeral containers: `resources: {}` is the zero value, allowed. */
function checkEphemeralFields(c: Record<string, unknown>, at: string, causes: StatusCause[]): void {
  for (const key of notForEphemeral) {
    const v = c[key];
    if (absent(v) || (key === 'resources' && isRecord(v) && Object.keys(v).length === 0)) continue;
    causes.push(forbidden(`${at}.${key}`, 'cannot be set for an Ephemeral Container'));
  }
}

/**
 * One container (app, init or ephemeral): name, image, command and args, ports, env and envFrom,
 * resources, probes, lifecycle, security context and volume mounts.
 */
export function checkContainer(
  item: unknown,
  at: string,
  pod: ContainerContext,
  kind: ContainerKind,
): StatusCause[] {
  const causes: StatusCause[] = [];
  const c = recordAt(item, at, causes);
  if (!c) return causes;
  const { names, volumes } = pod;
  const init = kind === 'init';
  if (kind === 'ephemeral') checkEphemeralFields(c, at, causes);
  checkUniqueName(c.name, `${at}.name`, names, causes);
  const image = stringAt(c.image, `${at}.image`, causes);
  if (!image?.trim()) causes.push(required(`${at}.image`));
  stringListAt(c.command, `${at}.command`, causes);
  stringListAt(c.args, `${at}.args`, causes);
  stringAt(c.workingDir, `${at}.workingDir`, causes);
  checkPorts(c.ports, `${at}.ports`, causes);
  checkEnv(c.env, `${at}.env`, causes);
  checkEnvFrom(c.envFrom, `${at}.envFrom`, causes);
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
  if (init && !absent(c.lifecycle) && c.restartPolicy !== 'Always')
    causes.push(
      forbidden(`${at}.lifecycle`, 'may not be set for init containers without restartPolicy=Always'),
    );
  else checkLifecycle(c.lifecycle, `${at}.lifecycle`, pod.gracePeriod, causes);
  checkContainerSecurityContext(c.securityContext, `${at}.securityContext`, causes);
  checkVolumeMounts(c.volumeMounts, `${at}.volumeMounts`, volumes, causes);
  const pull = stringAt(c.imagePullPolicy, `${at}.imagePullPolicy`, causes);
  if (pull !== undefined && !pullPolicies.includes(pull))
    causes.push(unsupported(`${at}.imagePullPolicy`, pull, pullPolicies));
  const tmp = stringAt(c.terminationMessagePolicy, `${at}.terminationMessagePolicy`, causes);
  if (tmp !== undefined && !messagePolicies.includes(tmp))
    causes.push(unsupported(`${at}.terminationMessagePolicy`, tmp, messagePolicies));
  return causes;
}
