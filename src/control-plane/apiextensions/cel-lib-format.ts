import { CelScalar, celFunc, celMethod } from '@bufbuild/cel';
import type { StatusCause } from '../../kube/index.js';
import {
  checkDns1035,
  checkLabelName,
  checkLabelValue,
  checkQualifiedName,
  checkSubdomain,
} from '../registry/validation/names.js';
import { MeteredList } from './cel-cost.js';
import { chargeText, need, wrap } from './cel-lib-meter.js';
import { parseUrl } from './cel-lib-url.js';
import { checkFormat } from './schema-formats.js';

/**
 * The Kubernetes format library (k8s.io/apiserver/pkg/cel/library/format.go): `format.named(n)`
 * and `format.<name>()` give a format, `<format>.validate(s)` its error strings. Upstream returns
 * optionals; here (no optional type) `named` gives null for an unknown name and `validate` null
 * for a valid string, which the optional stand-ins `hasValue()`, `value()`, `orValue()` read.
 */

type Check = (s: string) => string[];

/** A name check's messages without the `Invalid value: "<s>": ` prefix its causes carry. */
function details(check: (s: string, field: string) => StatusCause[]): Check {
  return (s) => {
    const prefix = `Invalid value: ${JSON.stringify(s)}: `;
    return check(s, '').map((c) =>
      c.message.startsWith(prefix) ? c.message.slice(prefix.length) : c.message,
    );
  };
}

/** NameIsDNS*(s, prefix=true): a trailing dash is allowed (masked as upstream's maskTrailingDash). */
function prefixed(check: Check): Check {
  return (s) => check(s.length > 1 && s.endsWith('-') ? `${s.slice(0, -1)}a` : s);
}

function strfmt(format: string, message: string): Check {
  return (s) => (checkFormat(format, s) === undefined ? [] : [message]);
}

const label = details(checkLabelName);
const subdomain = details(checkSubdomain);
const dns1035 = details(checkDns1035);

export const FORMATS: Readonly<Record<string, Check>> = {
  dns1123Label: label,
  dns1123Subdomain: subdomain,
  dns1035Label: dns1035,
  qualifiedName: details(checkQualifiedName),
  dns1123LabelPrefix: prefixed(label),
  dns1123SubdomainPrefix: prefixed(subdomain),
  dns1035LabelPrefix: prefixed(dns1035),
  labelValue: details(checkLabelValue),
  uri: (s) => {
    try {
      parseUrl(s);
      return [];
    } catch (e) {
      return [(e as Error).message.replace(/^URL parse error during conversion from string: /, '')];
    }
  },
  uuid: strfmt('uuid', 'does not match the UUID format'),
  byte: strfmt('byte', 'invalid base64'),
  date: strfmt('date', 'invalid date'),
  datetime: strfmt('date-time', 'invalid datetime'),
};

const format = (name: string) => wrap('format', name, name);

export const formatLibrary = [
  celFunc('format.named', [CelScalar.STRING], CelScalar.DYN, (name) => {
    chargeText(name);
    return Object.hasOwn(FORMATS, name) ? format(name) : null;
  }),
  ...Object.keys(FORMATS).map((name) => celFunc(`format.${name}`, [], CelScalar.DYN, () => format(name))),
  celMethod('validate', CelScalar.DYN, [CelScalar.STRING], CelScalar.DYN, function (s) {
    const name = need<string>('format', this);
    chargeText(s);
    const errors = (FORMATS[name] as Check)(s);
    return errors.length ? MeteredList.from(errors) : null;
  }),
];

/** The namespaced function names this library adds (`format.named`, `format.dns1123Label`, ...). */
export const FORMAT_FUNCTIONS = ['format.named', ...Object.keys(FORMATS).map((n) => `format.${n}`)];
