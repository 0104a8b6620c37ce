import type { StatusCause } from '../../../kube/index.js';
import { absent, forbidden, GoValue, invalid, isRecord, recordAt, required, typeInvalid } from './field.js';

/**
 * Update strategies of Deployments (`ValidateDeploymentStrategy`) and DaemonSets
 * (`ValidateDaemonSetUpdateStrategy`): known types, and maxSurge / maxUnavailable as
 * non-negative integers or percentages that cannot both be zero. Upstream prints these values as
 * Go structs (`intstr.IntOrString{...}`); the messages do the same.
 */

const PERCENT = /^[0-9]+%$/;
const PERCENT_MSG =
  "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

/** `%#v` of an intstr.IntOrString built from a JSON int or string. */
export function intOrString(v: unknown): GoValue {
  if (typeof v === 'string')
    return new GoValue(`intstr.IntOrString{Type:1, IntVal:0, StrVal:${JSON.stringify(v)}}`);
  const n = typeof v === 'number' ? v : 0;
  return new GoValue(`intstr.IntOrString{Type:0, IntVal:${n}, StrVal:""}`);
}

/** `getIntOrPercentValue`: the integer, or the percentage's number. */
export function amount(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && PERCENT.test(v)) return Number(v.slice(0, -1));
  return 0;
}

/** `ValidatePositiveIntOrPercent`. */
export function checkIntOrPercent(v: unknown, field: string, causes: StatusCause[]): void {
  if (absent(v)) return;
  if (typeof v === 'string') {
    if (!PERCENT.test(v)) causes.push(invalid(field, intOrString(v), PERCENT_MSG));
  } else if (typeof v === 'number' && Number.isInteger(v)) {
    if (v < 0) causes.push(invalid(field, v, 'must be greater than or equal to 0'));
  } else causes.push(typeInvalid(field, v, 'integer or string'));
}

/** `IsNotMoreThan100Percent`. */
export function checkAtMost100(v: unknown, field: string, causes: StatusCause[]): void {
  if (typeof v === 'string' && PERCENT.test(v) && amount(v) > 100)
    causes.push(invalid(field, intOrString(v), 'must not be greater than 100%'));
}

function strategyValue(goType: string, s: Record<string, unknown>, ruType: string): GoValue {
  const ru = absent(s.rollingUpdate) ? `(*apps.${ruType})(nil)` : `&apps.${ruType}{...}`;
  return new GoValue(`apps.${goType}{Type:${JSON.stringify(String(s.type ?? ''))}, RollingUpdate:${ru}}`);
}

/** A Deployment's `spec.strategy`. */
export function checkDeploymentStrategy(value: unknown, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const s = recordAt(value, field, causes);
  if (!s) return causes;
  if (s.type === 'Recreate') {
    if (!absent(s.rollingUpdate))
      causes.push(
        forbidden(`${field}.rollingUpdate`, "may not be specified when strategy `type` is 'Recreate'"),
      );
  } else if (s.type === 'RollingUpdate') {
    const ru = recordAt(s.rollingUpdate, `${field}.rollingUpdate`, causes);
    if (!ru) {
      if (absent(s.rollingUpdate))
        causes.push(required(`${field}.rollingUpdate`, 'this should be defaulted and never be nil'));
      return causes;
    }
    const at = `${field}.rollingUpdate`;
    checkIntOrPercent(ru.maxUnavailable, `${at}.maxUnavailable`, causes);
    checkIntOrPercent(ru.maxSurge, `${at}.maxSurge`, causes);
    if (amount(ru.maxUnavailable) === 0 && amount(ru.maxSurge) === 0)
      causes.push(
        invalid(`${at}.maxUnavailable`, intOrString(ru.maxUnavailable), 'may not be 0 when `maxSurge` is 0'),
      );
    checkAtMost100(ru.maxUnavailable, `${at}.maxUnavailable`, causes);
  } else {
    causes.push({
      reason: 'FieldValueNotSupported',
      field,
      message: `Unsupported value: ${strategyValue('DeploymentStrategy', s, 'RollingUpdateDeployment').text}: supported values: "Recreate", "RollingUpdate"`,
    });
  }
  return causes;
}

/** A DaemonSet's `spec.updateStrategy`. */
export function checkDaemonSetStrategy(value: unknown, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const s = recordAt(value, field, causes);
  if (!s || s.type === 'OnDelete') return causes;
  if (s.type !== 'RollingUpdate') {
    causes.push({
      reason: 'FieldValueNotSupported',
      field,
      message: `Unsupported value: ${strategyValue('DaemonSetUpdateStrategy', s, 'RollingUpdateDaemonSet').text}: supported values: "RollingUpdate", "OnDelete"`,
    });
    return causes;
  }
  const at = `${field}.rollingUpdate`;
  if (!isRecord(s.rollingUpdate)) {
    if (absent(s.rollingUpdate)) causes.push(required(at));
    else recordAt(s.rollingUpdate, at, causes);
    return causes;
  }
  const ru = s.rollingUpdate;
  checkIntOrPercent(ru.maxUnavailable, `${at}.maxUnavailable`, causes);
  checkIntOrPercent(ru.maxSurge, `${at}.maxSurge`, causes);
  checkAtMost100(ru.maxUnavailable, `${at}.maxUnavailable`, causes);
  checkAtMost100(ru.maxSurge, `${at}.maxSurge`, causes);
  const unavailable = amount(ru.maxUnavailable) !== 0;
  const surge = amount(ru.maxSurge) !== 0;
  if (unavailable && surge)
    causes.push(
      invalid(`${at}.maxSurge`, intOrString(ru.maxSurge), 'may not be set when maxUnavailable is non-zero'),
    );
  else if (!unavailable && !surge)
    causes.push(required(`${at}.maxUnavailable`, 'cannot be 0 when maxSurge is 0'));
  return causes;
}
