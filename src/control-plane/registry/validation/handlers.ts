import type { StatusCause } from '../../../kube/index.js';
import {
  absent,
  enumAt,
  forbidden,
  intAt,
  invalid,
  listAt,
  nonNegativeAt,
  recordAt,
  required,
  stringAt,
  stringListAt,
} from './field.js';
import { checkPortNumber, checkPortNumOrName } from './ports.js';

/**
 * Probes and lifecycle hooks: `validateProbe`, `validateLifecycle` and the `validateHandler`
 * they share (exactly one handler; its command, port, path and headers well-formed).
 */

const probeHandlers = ['exec', 'httpGet', 'tcpSocket', 'grpc'];
const hookHandlers = ['exec', 'httpGet', 'tcpSocket', 'sleep'];
const HEADER = /^[-A-Za-z0-9]+$/;
const HEADER_MSG =
  "a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')";

function checkHttpGet(value: unknown, field: string, causes: StatusCause[]): void {
  const http = recordAt(value, field, causes);
  if (!http) return;
  // An absent path is defaulted to "/" before validation, as kube-apiserver defaults it.
  if (http.path === '') causes.push(required(`${field}.path`));
  stringAt(http.path, `${field}.path`, causes);
  if (absent(http.port)) causes.push(required(`${field}.port`));
  else checkPortNumOrName(http.port, `${field}.port`, causes);
  enumAt(http.scheme, `${field}.scheme`, ['HTTP', 'HTTPS'], causes);
  stringAt(http.host, `${field}.host`, causes);
  for (const [i, item] of listAt(http.httpHeaders, `${field}.httpHeaders`, causes)) {
    const h = recordAt(item, `${field}.httpHeaders[${i}]`, causes);
    if (!h) continue;
    const name = stringAt(h.name, `${field}.httpHeaders[${i}].name`, causes) ?? '';
    if (!HEADER.test(name)) causes.push(invalid(`${field}.httpHeaders[${i}].name`, name, HEADER_MSG));
    stringAt(h.value, `${field}.httpHeaders[${i}].value`, causes);
  }
}

/** `validateHandler`: one of `kinds`, and that handler's own fields. */
function checkHandler(
  h: Record<string, unknown>,
  field: string,
  kinds: readonly string[],
  gracePeriod: number | undefined,
  causes: StatusCause[],
): void {
  const set = kinds.filter((k) => !absent(h[k]));
  if (set.length === 0) causes.push(required(field, 'must specify a handler type'));
  for (const k of set.slice(1))
    causes.push(forbidden(`${field}.${k}`, 'may not specify more than 1 handler type'));
  const exec = recordAt(h.exec, `${field}.exec`, causes);
  if (exec) {
    if (!Array.isArray(exec.command) || exec.command.length === 0)
      causes.push(required(`${field}.exec.command`));
    stringListAt(exec.command, `${field}.exec.command`, causes);
  }
  checkHttpGet(h.httpGet, `${field}.httpGet`, causes);
  const tcp = recordAt(h.tcpSocket, `${field}.tcpSocket`, causes);
  if (tcp) checkPortNumOrName(tcp.port, `${field}.tcpSocket.port`, causes);
  if (kinds.includes('grpc')) {
    const grpc = recordAt(h.grpc, `${field}.grpc`, causes);
    if (grpc) checkPortNumber(grpc.port, `${field}.grpc.port`, causes);
  }
  if (kinds.includes('sleep')) {
    const sleep = recordAt(h.sleep, `${field}.sleep`, causes);
    const seconds = sleep ? intAt(sleep.seconds, `${field}.sleep.seconds`, causes) : undefined;
    if (sleep && seconds === undefined && absent(sleep.seconds))
      causes.push(required(`${field}.sleep.seconds`));
    const grace = gracePeriod ?? 30;
    if (seconds !== undefined && (seconds < 0 || seconds > grace))
      causes.push(
        invalid(
          `${field}.sleep`,
          seconds,
          `must be non-negative and less than terminationGracePeriodSeconds (${grace})`,
        ),
      );
  }
}

/** `validateProbe`: one handler, non-negative timings; startup and liveness succeed once. */
export function checkProbe(
  value: unknown,
  field: string,
  causes: StatusCause[],
  successMustBeOne: boolean,
): void {
  const p = recordAt(value, field, causes);
  if (!p) return;
  checkHandler(p, field, probeHandlers, undefined, causes);
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
}

/** `validateLifecycle`: postStart and preStop each have exactly one valid handler. */
export function checkLifecycle(
  value: unknown,
  field: string,
  gracePeriod: number | undefined,
  causes: StatusCause[],
): void {
  const l = recordAt(value, field, causes);
  if (!l) return;
  for (const hook of ['postStart', 'preStop']) {
    const h = recordAt(l[hook], `${field}.${hook}`, causes);
    if (h) checkHandler(h, `${field}.${hook}`, hookHandlers, gracePeriod, causes);
  }
  stringAt(l.stopSignal, `${field}.stopSignal`, causes);
}
