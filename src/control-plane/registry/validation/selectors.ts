import type { StatusCause } from '../../../kube/index.js';
import { absent, forbidden, invalid, listAt, recordAt, required, stringAt, typeInvalid } from './field.js';
import { checkLabels, checkQualifiedName } from './names.js';

/** Values of a requirement, type-checked: a list of strings (or absent); undefined when malformed. */
function valuesAt(value: unknown, field: string, causes: StatusCause[]): string[] | undefined {
  if (!absent(value) && !Array.isArray(value)) {
    listAt(value, field, causes);
    return undefined;
  }
  const out: string[] = [];
  for (const [i, v] of listAt(value, field, causes)) {
    if (typeof v === 'string') out.push(v);
    else causes.push(typeInvalid(`${field}[${i}]`, v, 'string'));
  }
  return out;
}

/**
 * `ValidateLabelSelectorRequirement`: In/NotIn need values, Exists/DoesNotExist take none; the key
 * is a qualified name.
 */
function checkSelectorRequirement(req: unknown, field: string, causes: StatusCause[]): void {
  const r = recordAt(req, field, causes);
  if (!r) return;
  const values = valuesAt(r.values, `${field}.values`, causes);
  const op = stringAt(r.operator, `${field}.operator`, causes);
  if (op === 'In' || op === 'NotIn') {
    if (values?.length === 0)
      causes.push(required(`${field}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
  } else if (op === 'Exists' || op === 'DoesNotExist') {
    if ((values?.length ?? 0) > 0)
      causes.push(
        forbidden(`${field}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
      );
  } else if (op !== undefined) {
    causes.push(invalid(`${field}.operator`, op, 'not a valid selector operator'));
  }
  const key = stringAt(r.key, `${field}.key`, causes);
  if (key !== undefined) causes.push(...checkQualifiedName(key, `${field}.key`));
  else if (absent(r.key)) causes.push(required(`${field}.key`));
}

/** `ValidateLabelSelector`: matchLabels as labels, matchExpressions as requirements. */
export function checkLabelSelector(selector: unknown, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const s = recordAt(selector, field, causes);
  if (!s) return causes;
  causes.push(...checkLabels(s.matchLabels, `${field}.matchLabels`));
  for (const [i, req] of listAt(s.matchExpressions, `${field}.matchExpressions`, causes))
    checkSelectorRequirement(req, `${field}.matchExpressions[${i}]`, causes);
  return causes;
}

/** `validateNodeSelectorRequirement`: like label requirements plus Gt/Lt with one integer value. */
export function checkNodeSelectorRequirement(req: unknown, field: string, causes: StatusCause[]): void {
  const r = recordAt(req, field, causes);
  if (!r) return;
  const values = valuesAt(r.values, `${field}.values`, causes);
  const op = stringAt(r.operator, `${field}.operator`, causes);
  switch (op) {
    case 'In':
    case 'NotIn':
      if (values?.length === 0)
        causes.push(required(`${field}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if ((values?.length ?? 0) > 0)
        causes.push(
          forbidden(`${field}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
        );
      break;
    case 'Gt':
    case 'Lt':
      if (values !== undefined && values.length !== 1)
        causes.push(
          required(`${field}.values`, "must be specified single value when `operator` is 'Lt' or 'Gt'"),
        );
      break;
    case undefined:
      break;
    default:
      causes.push(invalid(`${field}.operator`, op, 'not a valid selector operator'));
  }
  const key = stringAt(r.key, `${field}.key`, causes);
  if (key !== undefined) causes.push(...checkQualifiedName(key, `${field}.key`));
}
