import { describe, expect, it } from 'vitest';
import { compileRules, type RuleNode } from '../../../src/control-plane/apiextensions/cel-compile.js';
import { CelMeter } from '../../../src/control-plane/apiextensions/cel-cost.js';
import { validateRules } from '../../../src/control-plane/apiextensions/cel-validate.js';
import type { JsonSchema } from '../../../src/control-plane/apiextensions/schema-types.js';
import type { StatusCause } from '../../../src/kube/index.js';

/**
 * The Kubernetes CEL libraries (regex find, quantity, URL, IP, CIDR, format) through the same
 * compile and evaluate path CRD writes take. Each case is a rule over `self` (a map of strings).
 */
function schemaWith(rule: string): JsonSchema {
  return {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        additionalProperties: { type: 'string' },
        'x-kubernetes-validations': [{ rule }],
      },
    },
  } as JsonSchema;
}

function compile(s: JsonSchema): RuleNode {
  const causes: StatusCause[] = [];
  const tree = compileRules(s, 'schema', causes);
  expect(causes).toEqual([]);
  return tree as RuleNode;
}

/** The messages of `rule` against `spec` ([] when it holds). */
function run(rule: string, spec: Record<string, string> = {}, meter?: CelMeter): string[] {
  const s = schemaWith(rule);
  const obj = { apiVersion: 'x.example.com/v1', kind: 'W', metadata: { name: 'w' }, spec };
  return validateRules(compile(s), s, obj, undefined, meter).map((c) => c.message);
}

/** Asserts each rule holds. */
function holds(...rules: string[]): void {
  for (const rule of rules) expect(run(rule), rule).toEqual([]);
}

/** The runtime error `rule` gives (as the 422 cause message shows it). */
function error(rule: string): string {
  const out = run(rule);
  expect(out, rule).toHaveLength(1);
  expect(out[0]).toMatch(/^Invalid value: "object": /);
  return (out[0] as string).replace(/^Invalid value: "object": /, '').replace(/ evaluating rule: .*$/, '');
}

describe('regex find / findAll', () => {
  it('finds the first match, all matches, or the first n, as Go regexp does', () => {
    holds(
      "'abc123def456'.find('[0-9]+') == '123'",
      "'abc'.find('[0-9]+') == ''",
      "'a1b22c333'.findAll('[0-9]+') == ['1', '22', '333']",
      "'a1b22c333'.findAll('[0-9]+', 2) == ['1', '22']",
      "'a1b22c333'.findAll('[0-9]+', 0) == []",
      "'a1b22c333'.findAll('[0-9]+', -1).size() == 3",
      // Go skips an empty match right after the previous match.
      "'baaab'.findAll('a*') == ['', 'aaa', '']",
      "'x😀y'.findAll('') == ['', '', '', '']",
      "'héllo'.find('[^a-z]') == 'é'",
    );
    expect(run("self.name.find('[0-9]+') == '42'", { name: 'web-42' })).toEqual([]);
  });

  it('reports a bad pattern from the object at run time as upstream ("Illegal regex")', () => {
    const out = run("'x'.find(self.re) == ''", { re: '[' });
    expect(out).toEqual([
      "Invalid value: \"object\": Illegal regex: error parsing regexp: missing closing ]: `[` evaluating rule: 'x'.find(self.re) == ''",
    ]);
    expect(run("'x'.findAll(self.re).size() == 0", { re: '(' })[0]).toContain('Illegal regex: ');
  });

  it('refuses a literal bad pattern when the CRD is written, as upstream builds the program', () => {
    for (const rule of [
      "self.a.find('[') == ''",
      "self.a.findAll('(', 2) == []",
      "self.a.matches('a**')",
      "matches(self.a, '[')",
      "[1].all(x, 'a'.find('(') == '')",
    ]) {
      const causes: StatusCause[] = [];
      compileRules(schemaWith(rule), 's', causes);
      expect(causes, rule).toHaveLength(1);
      expect(causes[0]?.message, rule).toMatch(/: program instantiation failed: error parsing regexp: /);
    }
    const causes: StatusCause[] = [];
    compileRules(schemaWith("self.a.find('[0-9]+') != ''"), 's', causes);
    expect(causes).toEqual([]);
  });

  it('charges the text scanned and each match against the budget', () => {
    const meter = new CelMeter(2_000_000, 1_000);
    const out = run("self.s.findAll('a').size() > 0", { s: 'a'.repeat(5_000) }, meter);
    expect(out[0]).toContain('call cost exceeds limit');
  });
});

describe('quantity', () => {
  it('parses, compares and does exact arithmetic', () => {
    holds(
      "isQuantity('1.5Gi') && isQuantity('250m') && isQuantity('2e3') && !isQuantity('1.5.5') && !isQuantity('5Zi')",
      "quantity('2Gi').compareTo(quantity('1Gi')) == 1",
      "quantity('1').compareTo(quantity('1000m')) == 0",
      "quantity('999m').isLessThan(quantity('1')) && quantity('1k').isGreaterThan(quantity('999'))",
      "quantity('1') == quantity('1000m') && quantity('1Ki') == quantity('1024') && quantity('1') != quantity('2')",
      "quantity('1Ki').asInteger() == 1024 && quantity('2000m').isInteger() && !quantity('1.5').isInteger()",
      "quantity('0.1').add(quantity('0.2')) == quantity('300m')",
      "quantity('100m').add(2).asApproximateFloat() == 2.1",
      "quantity('1').sub(quantity('2')).sign() == -1 && quantity('0').sign() == 0 && quantity('5m').sign() == 1",
      "quantity('3Gi').sub(1) == quantity('3221225471')",
      "quantity('1.5Mi').mul(2) == quantity('3Mi')",
      "quantity('1e3').asInteger() == 1000 && quantity('1E').asInteger() == 1000000000000000000",
      // Below a nanounit rounds up, as resource.Quantity does.
      "quantity('0.1n') == quantity('1n')",
      "[quantity('1'), quantity('2')].exists(q, q == quantity('2000m'))",
    );
    expect(
      run('quantity(self.limit).compareTo(quantity(self.request)) >= 0', { limit: '1Gi', request: '512Mi' }),
    ).toEqual([]);
  });

  it('gives resource.ParseQuantity errors and upstream runtime errors', () => {
    expect(error("quantity('abc').sign() == 0")).toBe(
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    );
    expect(error("quantity('1.2.3').sign() == 0")).toBe('unable to parse numeric part of quantity');
    expect(error("quantity('1Mk').sign() == 0")).toBe("unable to parse quantity's suffix");
    expect(error("quantity('1.5').asInteger() == 1")).toBe('cannot convert value to integer');
    // Bounds of ours (upstream takes any size): exponents past 64, numbers past 128 characters.
    expect(error("quantity('1e100').sign() == 1")).toBe('unable to parse numeric part of quantity');
    expect(run('quantity(self.q).sign() == 1', { q: '9'.repeat(100_000) })[0]).toContain(
      'unable to parse numeric part of quantity',
    );
    expect(error("quantity('1').isGreaterThan('1')")).toBe('no such overload');
    expect(error("{'@quantity': '1'}.sign() == 1")).toBe('no such overload');
  });
});

describe('url', () => {
  it('accepts what url.ParseRequestURI accepts and reads its parts', () => {
    holds(
      "isURL('https://example.com:8443/a/b?x=1') && isURL('/absolute/path') && isURL('mailto:a@b.c')",
      "!isURL('example.com') && !isURL('') && !isURL('http://a b/') && !isURL('http://h:port/')",
      "url('HTTPS://example.com/').getScheme() == 'https'",
      "url('https://user@example.com:8443/p').getHost() == 'example.com:8443'",
      "url('https://example.com:8443/p').getHostname() == 'example.com'",
      "url('https://example.com:8443/p').getPort() == '8443' && url('https://example.com/p').getPort() == ''",
      "url('https://[::1]:80/').getHostname() == '::1' && url('https://[::1]:80/').getHost() == '[::1]:80'",
      "url('https://e.com/a%20b/c').getEscapedPath() == '/a%20b/c'",
      "url('https://e.com/a b').getEscapedPath() == '/a%20b'",
      "url('https://e.com/p?x=1&x=2&y=a+b&z').getQuery() == {'x': ['1', '2'], 'y': ['a b'], 'z': ['']}",
      "url('https://e.com/p#frag').getEscapedPath() == '/p'",
      "url('https://e.com/p') == url('https://e.com/p') && url('https://e.com/p') != url('https://e.com/q')",
    );
    expect(
      run('isURL(self.endpoint) && url(self.endpoint).getScheme() == "https"', { endpoint: 'https://x.io' }),
    ).toEqual([]);
  });

  it('gives url parse errors as upstream words them', () => {
    expect(error("url('example.com').getHost() == ''")).toBe(
      'URL parse error during conversion from string: parse "example.com": invalid URI for request',
    );
    expect(error("url('http://a b/').getHost() == ''")).toBe(
      'URL parse error during conversion from string: parse "http://a b/": invalid character " " in host name',
    );
    expect(error("url('http://h:port/').getHost() == ''")).toBe(
      'URL parse error during conversion from string: parse "http://h:port/": invalid port ":port" after host',
    );
    expect(error("url('/a%zz').getHost() == ''")).toBe(
      'URL parse error during conversion from string: parse "/a%zz": invalid URL escape "%zz"',
    );
    expect(error("ip('1.2.3.4').getHost() == ''")).toBe('no such overload');
  });
});

describe('ip and cidr', () => {
  it('parses addresses as netip and answers their properties', () => {
    holds(
      "isIP('10.0.0.1') && isIP('2001:db8::1') && !isIP('10.0.0.256') && !isIP('01.2.3.4') && !isIP('10.0.0.0/8')",
      "!isIP('::ffff:1.2.3.4') && !isIP('fe80::1%eth0') && !isIP('1::2::3')",
      "ip('10.0.0.1').family() == 4 && ip('::1').family() == 6",
      "ip('0.0.0.0').isUnspecified() && ip('::').isUnspecified() && !ip('10.0.0.1').isUnspecified()",
      "ip('127.0.0.2').isLoopback() && ip('::1').isLoopback() && !ip('10.0.0.1').isLoopback()",
      "ip('224.0.0.1').isLinkLocalMulticast() && ip('ff02::1').isLinkLocalMulticast() && !ip('239.0.0.1').isLinkLocalMulticast()",
      "ip('169.254.1.1').isLinkLocalUnicast() && ip('fe80::1').isLinkLocalUnicast() && !ip('10.0.0.1').isLinkLocalUnicast()",
      "ip('8.8.8.8').isGlobalUnicast() && ip('10.0.0.1').isGlobalUnicast() && !ip('255.255.255.255').isGlobalUnicast() && !ip('ff00::1').isGlobalUnicast()",
      "ip('2001:db8::1') == ip('2001:0db8:0:0::1') && ip('10.0.0.1') != ip('10.0.0.2')",
      "ip.isCanonical('2001:db8::1') && !ip.isCanonical('2001:DB8::1') && !ip.isCanonical('2001:db8:0::1')",
      "ip.isCanonical('1:0:0:1:0:0:0:1') == false && ip.isCanonical('1:0:0:1::1')",
    );
  });

  it('parses prefixes and answers containment', () => {
    holds(
      "isCIDR('10.0.0.0/8') && isCIDR('2001:db8::/32') && !isCIDR('10.0.0.0') && !isCIDR('10.0.0.0/33') && !isCIDR('10.0.0.0/08')",
      "cidr('10.0.0.0/8').containsIP('10.1.2.3') && !cidr('10.0.0.0/8').containsIP(ip('11.0.0.1'))",
      "!cidr('10.0.0.0/8').containsIP('::1')",
      "cidr('10.0.0.0/8').containsCIDR('10.1.0.0/16') && cidr('10.0.0.0/8').containsCIDR(cidr('10.0.0.0/8'))",
      "!cidr('10.1.0.0/16').containsCIDR(cidr('10.0.0.0/8'))",
      "cidr('10.1.2.3/8').ip() == ip('10.1.2.3') && cidr('10.1.2.3/8').masked() == cidr('10.0.0.0/8')",
      "cidr('2001:db8::1/32').masked() == cidr('2001:db8::/32') && cidr('2001:db8::/32').prefixLength() == 32",
    );
    expect(
      run("isCIDR(self.range) && cidr(self.range).containsIP('10.1.2.3')", { range: '10.0.0.0/8' }),
    ).toEqual([]);
  });

  it('gives upstream errors for bad addresses and prefixes', () => {
    expect(error("ip('::ffff:1.2.3.4').family() == 6")).toBe('IPv4-mapped IPv6 address is not allowed');
    expect(error("ip('fe80::1%eth0').family() == 6")).toBe('IP Address with zone value is not allowed');
    expect(error("ip('01.2.3.4').family() == 4")).toBe(
      'IP Address "01.2.3.4" parse error during conversion from string: IPv4 field has octet with leading zero',
    );
    expect(error("cidr('10.0.0.0/33').prefixLength() == 0")).toMatch(
      /^network address "10.0.0.0\/33" parse error during conversion from string: /,
    );
    expect(error("cidr('fe80::1%eth0/64').prefixLength() == 0")).toBe('CIDR with zone value is not allowed');
    expect(error("cidr('10.0.0.0/8').containsIP('nope')")).toMatch(/^IP Address "nope" parse error/);
    expect(error("quantity('1').containsIP('1.2.3.4')")).toBe('no such overload');
  });
});

describe('format', () => {
  it('validates named formats, null (no value) when valid', () => {
    holds(
      "!format.dns1123Label().validate('my-name').hasValue()",
      "format.dns1123Label().validate('My_Name').hasValue()",
      "format.dns1123LabelPrefix().validate('my-prefix-') == null",
      "format.named('dns1123Subdomain').value().validate('a.b.c') == null",
      "!format.named('nope').hasValue()",
      "format.dns1035Label().validate('1abc').value().size() == 1",
      "format.qualifiedName().validate('example.com/MyName') == null && format.labelValue().validate('') == null",
      "format.uri().validate('example.com').value() == ['parse \"example.com\": invalid URI for request']",
      "format.uuid().validate('x').value() == ['does not match the UUID format']",
      "format.byte().validate('aGVsbG8=') == null && format.byte().validate('!').value() == ['invalid base64']",
      "format.date().validate('2021-02-30').value() == ['invalid date'] && format.datetime().validate('2021-01-01T00:00:00Z') == null",
    );
    expect(
      run("format.dns1123Label().validate('A').value()[0].startsWith('a lowercase RFC 1123 label')"),
    ).toEqual([]);
  });

  it('refuses validate on something that is not a format', () => {
    expect(error("quantity('1').validate('x') == null")).toBe('no such overload');
  });
});

describe('string() of library values', () => {
  it('converts IPs, CIDRs and URLs as upstream, and refuses quantities', () => {
    holds(
      "string(ip('2001:DB8:0::1')) == '2001:db8::1'",
      "string(cidr('10.1.2.3/8').masked()) == '10.0.0.0/8'",
      "string(url('https://e.com/p?q=1')) == 'https://e.com/p?q=1'",
      "string(1) == '1' && string('a') == 'a'",
    );
    expect(error("string(quantity('1')) == '1'")).toBe('no such overload');
  });
});

describe('sets', () => {
  it('answers contains, equivalent and intersects with CEL equality', () => {
    holds(
      'sets.contains([1, 2, 3], [2, 3]) && !sets.contains([1, 2], [3]) && sets.contains([1], [])',
      'sets.contains([1.0, 2u], [1, 2])',
      'sets.equivalent([1, 2, 2], [2, 1]) && !sets.equivalent([1, 2], [1])',
      'sets.intersects([1], [2, 1]) && !sets.intersects([], [1])',
      "sets.contains([[1], {'a': 1}], [{'a': 1.0}, [1u]])",
      "sets.contains([ip('::1')], [ip('0::1')])",
    );
    expect(run("sets.contains(self.a.split(','), ['x'])", { a: 'x,y' })).toEqual([]);
  });

  it('charges each element it reads', () => {
    const meter = new CelMeter(2_000_000, 5_000);
    const out = run("sets.contains(self.s.split(''), self.s.split(''))", { s: 'a'.repeat(4_000) }, meter);
    expect(out[0]).toContain('call cost exceeds limit');
  });
});

describe('cost of library calls', () => {
  it('meters the map getQuery returns, so a nested loop over it stops', () => {
    const q = Array.from({ length: 3_000 }, (_, i) => `k${i}=${i}`).join('&');
    const out = run('url(self.u).getQuery().all(k, url(self.u).getQuery().all(j, k != j || true))', {
      u: `https://e.com/?${q}`,
    });
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/call cost exceeds limit|running out of cost budget/);
  });

  it('meters lists made by split, so a nested loop over them stops', () => {
    const out = run("self.s.split('').all(x, self.s.split('').all(y, x == y || true))", {
      s: 'a'.repeat(5_000),
    });
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/call cost exceeds limit|running out of cost budget/);
    // Go's SplitN, as cel-go: at most n parts, the last holding the rest.
    holds(
      "'a,b,c'.split(',') == ['a', 'b', 'c'] && 'a,b,c'.split(',', 2) == ['a', 'b,c']",
      "'a,b'.split(',', 0) == [] && 'a,b'.split(',', -1) == ['a', 'b'] && 'a,b'.split(',', 1) == ['a,b']",
      "'x😀'.split('') == ['x', '😀'] && 'abc'.split('', 2) == ['a', 'bc']",
    );
  });

  it('stops a nested loop of library calls at the per-call limit', () => {
    const items = Array.from({ length: 2_000 }, (_, i) => `https://h${i}.example.com/`).join(',');
    const out = run(
      "self.s.split(',').all(x, self.s.split(',').all(y, isURL(x) && ip('10.0.0.1').family() == 4))",
      { s: items },
    );
    expect(out).toHaveLength(1);
    // The unit limit, or on a slow machine the wall-clock backstop.
    expect(out[0]).toMatch(/call cost exceeds limit|running out of cost budget/);
  });
});
