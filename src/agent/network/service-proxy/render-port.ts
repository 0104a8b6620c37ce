/**
 * The rules of one Service port, laid out as kube-proxy's iptables mode: cluster policy (SVC) and
 * local policy (SVL) chains, the external chain (EXT) with the traffic policies' masquerade rules,
 * endpoint chains (SEP), and the filter rules for ports with nowhere to send traffic. Pure.
 */
import {
  EXTERNAL_SERVICES_CHAIN,
  endpointChain,
  externalChain,
  FILTER_SERVICES_CHAIN,
  localServiceChain,
  MARK_MASQ_CHAIN,
  NODEPORTS_CHAIN,
  SERVICES_CHAIN,
  serviceChain,
} from './chain-names.js';
import { type ProxyEndpoint, type ProxyServicePort, servicePortKey } from './model.js';

function proto(p: ProxyServicePort): string {
  const lower = p.protocol.toLowerCase();
  return `-p ${lower} -m ${lower}`;
}

/** The rules one Service port contributes, grouped by the chain they go to, in written order. */
export interface PortFragment {
  /** Rules in nat TUGBOAT-SERVICES. */
  readonly services: string[];
  /** Rules in nat TUGBOAT-NODEPORTS. */
  readonly nodePorts: string[];
  /** Rules in filter TUGBOAT-SERVICES and TUGBOAT-EXTERNAL-SERVICES (ports without endpoints). */
  readonly filterServices: string[];
  readonly externalServices: string[];
  /** The nat chains this port owns (SVC, EXT, SEP), each with its rules as one text. */
  readonly chains: (readonly [string, string])[];
}

/** Renders one Service port (`clusterCidr` and `nodeIPs` as in `RenderOptions`). */
export function renderPort(
  p: ProxyServicePort,
  clusterCidr: string | undefined,
  nodeIPs: readonly string[],
): PortFragment {
  const f: PortFragment = {
    services: [],
    nodePorts: [],
    filterServices: [],
    externalServices: [],
    chains: [],
  };
  const key = servicePortKey(p);
  const pr = proto(p);
  const ready = p.endpoints.filter((e) => e.ready);
  const externalIPs = p.loadBalancer ? [...new Set([...p.externalIPs, ...nodeIPs])] : p.externalIPs;
  if (p.healthCheckNodePort) {
    // As kube-proxy: the health check port is let in even where INPUT's policy drops.
    f.externalServices.push(
      `-A ${EXTERNAL_SERVICES_CHAIN} -m comment --comment "${key} health check node port" -p tcp -m tcp --dport ${p.healthCheckNodePort} -j ACCEPT`,
    );
  }
  if (ready.length === 0) {
    filterTo(
      f,
      p,
      externalIPs,
      'has no endpoints',
      '-j REJECT --reject-with icmp-port-unreachable',
      true,
      true,
    );
    return f;
  }
  const local = p.localEndpoints;
  // kube-proxy's hasInternalEndpoints / hasExternalEndpoints: a Local policy without local endpoints drops.
  const internalOk = !p.internalLocal || local.length > 0;
  const externalOk = !p.externalLocal || local.length > 0;
  filterTo(f, p, externalIPs, 'has no local endpoints', '-j DROP', !internalOk, !externalOk);
  const svc = serviceChain(key, p.protocol);
  const svl = localServiceChain(key, p.protocol);
  const usesLocal = local.length > 0 && (p.internalLocal || p.externalLocal);
  const internalChain = p.internalLocal ? svl : svc;
  const svcRules: string[] = [];
  const svlRules: string[] = [];
  f.chains.push([svc, '']);
  if (usesLocal) f.chains.push([svl, '']);
  if (internalOk) {
    f.services.push(
      `-A ${SERVICES_CHAIN} -m comment --comment "${key} cluster IP" ${pr} -d ${p.clusterIP}/32 --dport ${p.port} -j ${internalChain}`,
    );
    if (clusterCidr) {
      (p.internalLocal ? svlRules : svcRules).push(
        `-A ${internalChain} -m comment --comment "${key} cluster IP" ${pr} -d ${p.clusterIP}/32 --dport ${p.port} ! -s ${clusterCidr} -j ${MARK_MASQ_CHAIN}`,
      );
    }
  }
  if (externalIPs.length > 0 || p.nodePort) {
    const ext = externalChain(key, p.protocol);
    f.chains.push([ext, renderExternal(p, key, ext, svc, svl, clusterCidr, externalOk)]);
    for (const ip of externalIPs) {
      f.services.push(
        `-A ${SERVICES_CHAIN} -m comment --comment "${key} external IP" ${pr} -d ${ip}/32 --dport ${p.port} -j ${ext}`,
      );
    }
    if (p.nodePort) {
      f.nodePorts.push(
        `-A ${NODEPORTS_CHAIN} -m comment --comment "${key}" ${pr} --dport ${p.nodePort} -j ${ext}`,
      );
    }
  }
  const endpointChains = new Map<string, string>();
  const balance = (chain: string, rules: string[], list: readonly ProxyEndpoint[]) => {
    const seps = list.map((e) => ({ e, chain: endpointChain(key, p.protocol, `${e.ip}:${e.port}`) }));
    for (const s of seps) endpointChains.set(s.chain, `${s.e.ip}:${s.e.port}`);
    if (p.affinitySeconds > 0) {
      for (const { e, chain: sep } of seps) {
        rules.push(
          `-A ${chain} -m comment --comment "${key} -> ${e.ip}:${e.port}" -m recent --name ${sep} --mask 255.255.255.255 --rsource --rcheck --seconds ${p.affinitySeconds} --reap -j ${sep}`,
        );
      }
    }
    seps.forEach(({ e, chain: sep }, i) => {
      const left = seps.length - i;
      const pick = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(10)}` : '';
      rules.push(`-A ${chain} -m comment --comment "${key} -> ${e.ip}:${e.port}"${pick} -j ${sep}`);
    });
  };
  balance(svc, svcRules, ready);
  f.chains[0] = [svc, svcRules.join('\n')];
  if (usesLocal) {
    balance(svl, svlRules, local);
    f.chains[1] = [svl, svlRules.join('\n')];
  }
  for (const [chain, target] of endpointChains) {
    const recent =
      p.affinitySeconds > 0 ? ` -m recent --name ${chain} --mask 255.255.255.255 --rsource --set` : '';
    f.chains.push([
      chain,
      [
        `-A ${chain} -m comment --comment "${key}" -s ${target.split(':')[0]}/32 -j ${MARK_MASQ_CHAIN}`,
        `-A ${chain} -m comment --comment "${key}"${recent} ${pr} -j DNAT --to-destination ${target}`,
      ].join('\n'),
    ]);
  }
  return f;
}

/**
 * The external chain (kube-proxy's KUBE-EXT-*). With the Cluster policy everything is masqueraded
 * (it may cross nodes). With Local, the client's address is kept: pod traffic takes the cluster
 * chain (as if it went out to a load balancer and came back), the node's own traffic is
 * masqueraded and also takes the cluster chain, and the rest goes to this node's endpoints.
 */
function renderExternal(
  p: ProxyServicePort,
  key: string,
  ext: string,
  svc: string,
  svl: string,
  clusterCidr: string | undefined,
  externalOk: boolean,
): string {
  if (!p.externalLocal) {
    return [
      `-A ${ext} -m comment --comment "masquerade traffic for ${key} external destinations" -j ${MARK_MASQ_CHAIN}`,
      `-A ${ext} -j ${svc}`,
    ].join('\n');
  }
  const rules: string[] = [];
  if (clusterCidr)
    rules.push(
      `-A ${ext} -m comment --comment "pod traffic for ${key} external destinations" -s ${clusterCidr} -j ${svc}`,
    );
  rules.push(
    `-A ${ext} -m comment --comment "masquerade LOCAL traffic for ${key} external destinations" -m addrtype --src-type LOCAL -j ${MARK_MASQ_CHAIN}`,
    `-A ${ext} -m comment --comment "route LOCAL traffic for ${key} external destinations" -m addrtype --src-type LOCAL -j ${svc}`,
  );
  if (externalOk) rules.push(`-A ${ext} -j ${svl}`);
  return rules.join('\n');
}

/** Filter rules for traffic that has nowhere to go: to the cluster IP (`internal`) and from outside (`external`). */
function filterTo(
  f: PortFragment,
  p: ProxyServicePort,
  externalIPs: readonly string[],
  why: string,
  target: string,
  internal: boolean,
  external: boolean,
): void {
  const key = servicePortKey(p);
  const pr = proto(p);
  if (internal) {
    f.filterServices.push(
      `-A ${FILTER_SERVICES_CHAIN} -m comment --comment "${key} ${why}" ${pr} -d ${p.clusterIP}/32 --dport ${p.port} ${target}`,
    );
  }
  if (!external) return;
  for (const ip of externalIPs) {
    f.externalServices.push(
      `-A ${EXTERNAL_SERVICES_CHAIN} -m comment --comment "${key} ${why}" ${pr} -d ${ip}/32 --dport ${p.port} ${target}`,
    );
  }
  if (p.nodePort) {
    f.externalServices.push(
      `-A ${EXTERNAL_SERVICES_CHAIN} -m comment --comment "${key} ${why}" -m addrtype --dst-type LOCAL ${pr} --dport ${p.nodePort} ${target}`,
    );
  }
}
