import type { StatusCause } from '../../../kube/index.js';
import { duplicate, invalid, isRecord, required, stringAt, tooLong, typeInvalid } from './field.js';

/**
 * Name rules of apimachinery's util/validation, with its messages: DNS-1123 labels and
 * subdomains, DNS-1035 labels, qualified names (label keys) and label values.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const QUALIFIED_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

function rule(max: number, re: RegExp, msg: string) {
  return (value: string, field: string): StatusCause[] => {
    const out: StatusCause[] = [];
    if (value.length > max) out.push(invalid(field, value, `must be no more than ${max} characters`));
    if (!re.test(value)) out.push(invalid(field, value, msg));
    return out;
  };
}

/** `IsDNS1123Subdomain`: most object names (253 characters). */
export const checkSubdomain = rule(253, DNS1123_SUBDOMAIN, SUBDOMAIN_MSG);
/** `IsDNS1123Label`: namespaces, container, port-less names (63 characters). */
export const checkLabelName = rule(63, DNS1123_LABEL, LABEL_MSG);
/** `IsDNS1035Label`: Service names (63 characters, starting with a letter). */
export const checkDns1035 = rule(63, DNS1035_LABEL, DNS1035_MSG);

/** `IsQualifiedName`: `[prefix/]name`, as label keys, annotation keys and toleration keys. */
export function checkQualifiedName(value: string, field: string): StatusCause[] {
  const parts = value.split('/');
  let name = value;
  const out: StatusCause[] = [];
  if (parts.length === 2) {
    const [prefix = '', rest = ''] = parts;
    name = rest;
    if (!prefix) out.push(invalid(field, value, 'prefix part must be non-empty'));
    else if (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))
      out.push(invalid(field, value, `prefix part ${SUBDOMAIN_MSG}`));
  } else if (parts.length > 2) {
    return [
      invalid(
        field,
        value,
        "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
      ),
    ];
  }
  if (!name) out.push(invalid(field, value, 'name part must be non-empty'));
  else if (name.length > 63) out.push(invalid(field, value, 'name part must be no more than 63 characters'));
  if (name && !QUALIFIED_NAME.test(name)) out.push(invalid(field, value, QUALIFIED_MSG));
  return out;
}

/** `IsValidLabelValue`: empty, or up to 63 alphanumerics with '-', '_', '.' inside. */
export function checkLabelValue(value: unknown, field: string): StatusCause[] {
  if (typeof value !== 'string') return [typeInvalid(field, value, 'string')];
  const out: StatusCause[] = [];
  if (value.length > 63) out.push(invalid(field, value, 'must be no more than 63 characters'));
  if (!LABEL_VALUE.test(value)) out.push(invalid(field, value, LABEL_VALUE_MSG));
  return out;
}

/** `ValidateLabels`: qualified-name keys and label values (errors at the map's path). */
export function checkLabels(labels: unknown, field: string): StatusCause[] {
  if (labels === undefined || labels === null) return [];
  if (!isRecord(labels)) return [typeInvalid(field, labels, 'object')];
  const causes: StatusCause[] = [];
  for (const [k, v] of Object.entries(labels)) {
    causes.push(...checkQualifiedName(k, field), ...checkLabelValue(v, field));
  }
  return causes;
}

/** Upstream's limit on the sum of annotation key and value sizes. */
export const totalAnnotationSizeLimit = 256 * 1024;

/** `ValidateAnnotations`: string values, qualified-name keys, at most 256 KiB in all. */
export function checkAnnotations(annotations: unknown, field: string): StatusCause[] {
  if (annotations === undefined || annotations === null) return [];
  if (!isRecord(annotations)) return [typeInvalid(field, annotations, 'object')];
  const causes: StatusCause[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(annotations)) {
    causes.push(...checkQualifiedName(k.toLowerCase(), field));
    if (typeof v !== 'string') causes.push(typeInvalid(`${field}.${k}`, v, 'string'));
    else total += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (total > totalAnnotationSizeLimit) causes.push(tooLong(field, totalAnnotationSizeLimit));
  return causes;
}

/** A required DNS-1123 label name that must be unique among `names` (containers, volumes). */
export function checkUniqueName(
  value: unknown,
  field: string,
  names: Set<string>,
  causes: StatusCause[],
): void {
  const name = stringAt(value, field, causes);
  if (!name) {
    causes.push(required(field));
    return;
  }
  causes.push(...checkLabelName(name, field));
  if (names.has(name)) causes.push(duplicate(field, name));
  names.add(name);
}
