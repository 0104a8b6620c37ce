import type { StatusCause } from '../../../kube/index.js';
import { absent, intAt, invalid, required, typeInvalid } from './field.js';

/** `IsValidPortName` (IANA_SVC_NAME): the reasons `name` is not a valid port name. */
export function portNameProblems(name: string): string[] {
  const out: string[] = [];
  if (name.length > 15) out.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name))
    out.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(name)) out.push('must contain at least one letter (a-z)');
  if (name.includes('--')) out.push('must not contain consecutive hyphens');
  if (name.startsWith('-') || name.endsWith('-')) out.push('must not begin or end with a hyphen');
  return out;
}

/** A port number 1-65535 at `field` (absent allowed unless `need`). */
export function checkPortNumber(value: unknown, field: string, causes: StatusCause[], need = true): void {
  if (absent(value) || value === 0) {
    if (need) causes.push(required(field));
    return;
  }
  const n = intAt(value, field, causes);
  if (n !== undefined && (n < 1 || n > 65535))
    causes.push(invalid(field, n, 'must be between 1 and 65535, inclusive'));
}

/** `ValidatePortNumOrName`: a port number, or an IANA service name (probes, targetPort). */
export function checkPortNumOrName(value: unknown, field: string, causes: StatusCause[]): void {
  if (typeof value === 'string') {
    if (!value) {
      causes.push(invalid(field, value, 'must contain at least one letter or number (a-z, 0-9)'));
      return;
    }
    for (const p of portNameProblems(value)) causes.push(invalid(field, value, p));
  } else if (typeof value === 'number') checkPortNumber(value, field, causes);
  else causes.push(typeInvalid(field, value, 'integer or string'));
}

/** Protocols a port may name. */
export const protocols = ['SCTP', 'TCP', 'UDP'];
