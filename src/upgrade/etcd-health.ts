import { etcdPaths } from '../bootstrap/etcd-install.js';
import type { HostLayout } from '../bootstrap/layout.js';
import { NODE_RUNTIME, runtimePaths } from '../bootstrap/node-runtime.js';
import { sh } from '../ssh/quote.js';
import type { RemoteShell } from '../ssh/remote-shell.js';

/** One etcd member as a master sees it: listed by the cluster, and its own `/health`. */
export interface EtcdMemberHealth {
  /** Empty for a member that was added but never started. */
  readonly name: string;
  readonly clientUrl: string;
  readonly healthy: boolean;
  /** Why not healthy (the HTTP answer or the connection error). */
  readonly problem?: string;
}

/** What {@link readEtcdHealth} found: the members, or why the member list could not be read. */
export type EtcdHealthReport = { readonly members: readonly EtcdMemberHealth[] } | { readonly error: string };

/**
 * Runs on a master (etcd's client port is open to the masters only), with its member
 * certificate (it has client usage): the member list from the first endpoint that answers
 * (etcd's JSON gateway, `POST /v3/cluster/member/list`), then every listed member's `/health`
 * (`"health":"true"`: up, and the cluster has a leader). Prints one JSON line; 3 s per request.
 */
const SCRIPT = `const https=require('https'),fs=require('fs');const [ca,cert,key,...eps]=process.argv.slice(1);
const out=(o)=>{process.stdout.write(JSON.stringify(o));process.exit(0)};let tls;
try{tls={ca:fs.readFileSync(ca),cert:fs.readFileSync(cert),key:fs.readFileSync(key)}}catch(e){out({error:e.message})}
const call=(url,body)=>new Promise((res)=>{const r=https.request(url,{...tls,method:body?'POST':'GET',timeout:3000,headers:body?{'content-type':'application/json'}:{}},(m)=>{let b='';m.setEncoding('utf8');m.on('data',(c)=>{b+=c});m.on('end',()=>res({status:m.statusCode,body:b}))});
r.on('timeout',()=>r.destroy(new Error('no answer within 3 s')));r.on('error',(e)=>res({error:e.message}));r.end(body)});
(async()=>{const errs=[];for(const ep of eps){const a=await call(ep+'/v3/cluster/member/list','{}');
if(a.status!==200){errs.push(ep+': '+(a.error||'HTTP '+a.status+' '+String(a.body).slice(0,120)));continue}
const ms=JSON.parse(a.body).members||[];out({members:await Promise.all(ms.map(async(m)=>{const url=(m.clientURLs||[])[0]||'';
if(!url)return{name:m.name||'',clientUrl:'',healthy:false,problem:'not started (no client URL)'};const h=await call(url+'/health');
const ok=h.status===200&&/"health":\\s*"true"/.test(h.body);return{name:m.name||'',clientUrl:url,healthy:ok,...(ok?{}:{problem:h.error||'HTTP '+h.status+' '+String(h.body).slice(0,120)})}}))})}
out({error:'no member answered the member list: '+errs.join('; ')})})();`;

/** Options of {@link readEtcdHealth}. */
export interface ReadEtcdHealthOptions {
  /** The layout of the master the check runs on (its member certificate). */
  readonly layout: HostLayout;
  /** Client URLs to ask for the member list, in order (the master's own first). */
  readonly endpoints: readonly string[];
  readonly signal?: AbortSignal;
}

/**
 * Asks etcd, from a master, for its members and each one's health. Never throws for an
 * unhealthy cluster: the answer says what is wrong. Uses the pinned Node.js runtime bootstrap
 * installed, else the host's `node`.
 */
export async function readEtcdHealth(
  shell: RemoteShell,
  options: ReadEtcdHealthOptions,
): Promise<EtcdHealthReport> {
  const p = etcdPaths(options.layout);
  const pinned = runtimePaths(options.layout, NODE_RUNTIME.version).node;
  const command = `n=${sh`${pinned}`}; [ -x "$n" ] || n=node; "$n" -e ${sh`${SCRIPT} ${p.ca} ${p.cert} ${p.key} ${options.endpoints}`}`;
  const result = await shell.exec(command, {
    timeoutMs: 30_000,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  try {
    return JSON.parse(result.stdout) as EtcdHealthReport;
  } catch {
    const why = (result.stderr || result.stdout).trim().slice(0, 300) || `exit ${result.code}`;
    return { error: `the health check did not run on ${shell.host}: ${why}` };
  }
}

/**
 * What is wrong with etcd given the members the cluster should have (the masters' names), or
 * undefined when every one of them is listed and every listed member is healthy. Pure.
 */
export function etcdHealthProblem(report: EtcdHealthReport, expected: readonly string[]): string | undefined {
  if ('error' in report) return `etcd: ${report.error}`;
  const problems: string[] = [];
  const listed = new Set(report.members.map((m) => m.name));
  for (const name of expected)
    if (!listed.has(name)) problems.push(`member ${name} is not in the member list`);
  for (const m of report.members)
    if (!m.healthy)
      problems.push(
        `member ${m.name || '(unstarted)'}${m.clientUrl ? ` ${m.clientUrl}` : ''} is not healthy: ${m.problem}`,
      );
  return problems.length > 0 ? `etcd: ${problems.join('; ')}` : undefined;
}
