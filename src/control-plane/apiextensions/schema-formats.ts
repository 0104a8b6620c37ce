/** RFC 3339 date-time as Go's strfmt accepts it (T or space, optional fraction, Z or offset). */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const UUID = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function validDate(y: string, m: string, d: string): boolean {
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  return (
    date.getUTCFullYear() === Number(y) &&
    date.getUTCMonth() === Number(m) - 1 &&
    date.getUTCDate() === Number(d)
  );
}

/**
 * Checks a string against a schema `format`; returns a reason when it does not match, undefined
 * when it does or the format is one the server does not check (unknown formats pass, as upstream).
 */
export function checkFormat(format: string, value: string): string | undefined {
  switch (format) {
    case 'date-time': {
      const m = DATE_TIME.exec(value);
      const ok =
        m && validDate(m[1]!, m[2]!, m[3]!) && Number(m[4]) < 24 && Number(m[5]) < 60 && Number(m[6]) < 61;
      return ok ? undefined : 'not an RFC 3339 date-time';
    }
    case 'date': {
      const m = DATE.exec(value);
      return m && validDate(m[1]!, m[2]!, m[3]!) ? undefined : 'not a full-date';
    }
    case 'uuid':
      return UUID.test(value) ? undefined : 'not a UUID';
    case 'byte':
      return BASE64.test(value) ? undefined : 'not base64';
    case 'ipv4':
      return IPV4.test(value) ? undefined : 'not an IPv4 address';
    default:
      return undefined;
  }
}
