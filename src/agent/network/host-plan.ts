import {
  type DesiredHostNetwork,
  type HostNetworkOp,
  podNetworkNames as names,
  type ObservedHostNetwork,
} from './host-model.js';

/**
 * The changes that turn `observed` into `desired`, devices first, then forwarding entries,
 * neighbours and routes. Pure. Empty when the host is already as wanted, so a repeated apply (or
 * an agent restarted after kill -9) changes nothing and never duplicates an entry. A VXLAN device
 * with other parameters is recreated, and then everything that hung off it is added again.
 */
export function planHostNetwork(desired: DesiredHostNetwork, observed: ObservedHostNetwork): HostNetworkOp[] {
  const ops: HostNetworkOp[] = [];
  const bridge = desired.bridge;
  if (!observed.bridge) ops.push({ op: 'addBridge', name: bridge });
  const bridgeAddresses = observed.bridge?.addresses ?? [];
  if (bridgeAddresses.length !== 1 || bridgeAddresses[0] !== desired.bridgeAddress) {
    ops.push({ op: 'setAddress', device: bridge, address: desired.bridgeAddress });
  }
  if (!observed.bridge?.up) ops.push({ op: 'setUp', device: bridge });
  if (desired.vxlan) ops.push(...planVxlan(desired.vxlan, observed));
  return ops;
}

/** The VXLAN device and, per peer, its forwarding entry, neighbour and route. Pure. */
function planVxlan(
  desired: NonNullable<DesiredHostNetwork['vxlan']>,
  observed: ObservedHostNetwork,
): HostNetworkOp[] {
  const ops: HostNetworkOp[] = [];
  const vx = observed.vxlan;
  const vxlanOk = vx && vx.vni === names.vni && vx.port === names.port && vx.local === desired.local;
  if (vx && !vxlanOk) ops.push({ op: 'deleteLink', name: names.vxlan });
  if (!vxlanOk) ops.push({ op: 'addVxlan', local: desired.local });
  const vxAddresses = vxlanOk ? vx.addresses : [];
  if (vxAddresses.length !== 1 || vxAddresses[0] !== desired.address) {
    ops.push({ op: 'setAddress', device: names.vxlan, address: desired.address });
  }
  if (!vxlanOk || !vx.up) ops.push({ op: 'setUp', device: names.vxlan });

  const fdb = vxlanOk ? observed.fdb : [];
  const neighbours = vxlanOk ? observed.neighbours : [];
  const routes = vxlanOk ? observed.routes : [];
  const wantFdb = new Set(desired.peers.map((p) => `${p.vtepMac} ${p.underlayIp}`));
  const haveFdb = new Set(fdb.map((f) => `${f.mac} ${f.dst}`));
  for (const f of fdb) if (!wantFdb.has(`${f.mac} ${f.dst}`)) ops.push({ op: 'deleteFdb', ...f });
  for (const p of desired.peers) {
    if (!haveFdb.has(`${p.vtepMac} ${p.underlayIp}`))
      ops.push({ op: 'addFdb', mac: p.vtepMac, dst: p.underlayIp });
  }
  const wantNeigh = new Map(desired.peers.map((p) => [p.vtepIp, p.vtepMac]));
  const haveNeigh = new Map(neighbours.map((n) => [n.ip, n.mac]));
  for (const n of neighbours) if (!wantNeigh.has(n.ip)) ops.push({ op: 'deleteNeighbour', ip: n.ip });
  for (const [ip, mac] of wantNeigh) if (haveNeigh.get(ip) !== mac) ops.push({ op: 'setNeighbour', ip, mac });
  const wantRoutes = new Map(desired.peers.map((p) => [p.podCidr, p.vtepIp]));
  const haveRoutes = new Map(routes.map((r) => [r.cidr, r.via]));
  for (const r of routes) if (!wantRoutes.has(r.cidr)) ops.push({ op: 'deleteRoute', cidr: r.cidr });
  for (const [cidr, via] of wantRoutes)
    if (haveRoutes.get(cidr) !== via) ops.push({ op: 'setRoute', cidr, via });
  return ops;
}

/** The `ip -batch` and `bridge -batch` lines of a plan, in the order they must run. Pure. */
export function renderHostNetworkOps(ops: readonly HostNetworkOp[]): {
  ip: string[];
  fdb: string[];
  routes: string[];
} {
  const ip: string[] = [];
  const fdb: string[] = [];
  const routes: string[] = [];
  const vx = names.vxlan;
  for (const o of ops) {
    switch (o.op) {
      case 'addBridge':
        ip.push(`link add ${o.name} type bridge`);
        break;
      case 'addVxlan':
        ip.push(
          `link add ${vx} type vxlan id ${names.vni} dstport ${names.port} local ${o.local} nolearning`,
        );
        break;
      case 'deleteLink':
        ip.push(`link del ${o.name}`);
        break;
      case 'setAddress':
        ip.push(`addr flush dev ${o.device}`, `addr add ${o.address} dev ${o.device}`);
        break;
      case 'setUp':
        ip.push(`link set ${o.device} up`);
        break;
      case 'addFdb':
        fdb.push(`fdb append ${o.mac} dev ${vx} dst ${o.dst}`);
        break;
      case 'deleteFdb':
        fdb.push(`fdb del ${o.mac} dev ${vx} dst ${o.dst}`);
        break;
      case 'setNeighbour':
        routes.push(`neigh replace ${o.ip} lladdr ${o.mac} dev ${vx} nud permanent`);
        break;
      case 'deleteNeighbour':
        routes.push(`neigh del ${o.ip} dev ${vx}`);
        break;
      case 'setRoute':
        routes.push(`route replace ${o.cidr} via ${o.via} dev ${vx} onlink`);
        break;
      case 'deleteRoute':
        routes.push(`route del ${o.cidr} dev ${vx}`);
        break;
    }
  }
  return { ip, fdb, routes };
}
