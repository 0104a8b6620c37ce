import { AbortError, TugboatError } from '../errors.js';
import { sh } from '../ssh/quote.js';
import type { RemoteShell } from '../ssh/remote-shell.js';
import { etcdPaths } from './etcd-install.js';
import type { HostLayout } from './layout.js';

/** One HTTPS request to an etcd member: `GET` without a body, `POST` of JSON with one. */
export interface EtcdHostCall {
  /** e.g. `https://10.0.1.5:2379/health` or `.../v3/cluster/member/list`. */
  readonly url: string;
  /** JSON body for etcd's gRPC gateway (`POST`); none for `GET /health`. */
  readonly body?: unknown;
}

/** How one call ended: an HTTP answer (any status), or the error that kept it from one. */
export type EtcdHostAnswer = { readonly status: number; readonly body: string } | { readonly error: string };

/** Options for {@link runEtcdHostCalls}. */
export interface EtcdHostCallOptions {
  /** The master the calls are made from (etcd's client port is open between masters only). */
  readonly layout: HostLayout;
  /** Node.js on that host (the runtime bootstrap installed). */
  readonly nodePath: string;
  /** Per call. @default 3000 */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Runs on the master: reads `{ca, cert, key, timeoutMs, calls}` as JSON on stdin, makes every call
 * at once with the member certificate (it has client usage), prints `{results}` (or `{error}`
 * when the certificates cannot be read). Each answer body is capped at 1 MB.
 */
const CALL_SCRIPT = `const https=require('https'),fs=require('fs');
const out=(o)=>process.stdout.write(JSON.stringify(o));let input='';
process.stdin.setEncoding('utf8');process.stdin.on('data',(c)=>{input+=c});process.stdin.on('end',()=>{
let req,tls;try{req=JSON.parse(input);tls={ca:fs.readFileSync(req.ca),cert:fs.readFileSync(req.cert),key:fs.readFileSync(req.key)}}catch(e){out({error:e.message});return}
Promise.all(req.calls.map((c)=>new Promise((resolve)=>{const body=c.body===undefined?undefined:JSON.stringify(c.body);
const r=https.request(c.url,{method:body===undefined?'GET':'POST',...tls,agent:false,timeout:req.timeoutMs,headers:body===undefined?{}:{'content-type':'application/json','content-length':Buffer.byteLength(body)}},(res)=>{let b='';res.setEncoding('utf8');res.on('data',(d)=>{if(b.length<1e6)b+=d});res.on('end',()=>resolve({status:res.statusCode,body:b}))});
r.on('timeout',()=>r.destroy(new Error('no answer within '+req.timeoutMs+' ms')));r.on('error',(e)=>resolve({error:e.message}));r.end(body)}))).then((results)=>out({results}))});`;

/**
 * Makes HTTPS calls to etcd members from a master, with that master's member certificate: the
 * laptop cannot reach port 2379 (the security groups keep it to the masters), and etcd's JSON
 * gateway needs nothing on the host but Node.js. One round trip for all calls; answers in order.
 */
export async function runEtcdHostCalls(
  shell: RemoteShell,
  calls: readonly EtcdHostCall[],
  options: EtcdHostCallOptions,
): Promise<EtcdHostAnswer[]> {
  if (calls.length === 0) return [];
  if (options.signal?.aborted) throw new AbortError();
  const p = etcdPaths(options.layout);
  const timeoutMs = options.timeoutMs ?? 3_000;
  const request = { ca: p.ca, cert: p.cert, key: p.key, timeoutMs, calls };
  const result = await shell.exec(sh`${options.nodePath} -e ${CALL_SCRIPT}`, {
    stdin: JSON.stringify(request),
    timeoutMs: timeoutMs + 20_000,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  let parsed: { results?: EtcdHostAnswer[]; error?: string };
  try {
    parsed = JSON.parse(result.stdout) as typeof parsed;
  } catch {
    parsed = { error: (result.stderr || result.stdout).trim().slice(-300) || `exit ${result.code}` };
  }
  if (!parsed.results || parsed.results.length !== calls.length)
    throw new TugboatError(
      'ETCD_HOST_CALL',
      `cannot ask etcd from ${shell.host}: ${parsed.error ?? 'no answer'}: check Node.js (${options.nodePath}) and ${p.cert} on that master`,
      { exitCode: 4 },
    );
  return parsed.results;
}

/** The JSON body of a 200 answer, else an Error naming the call and what came back. */
export function answerJson<T>(call: EtcdHostCall, answer: EtcdHostAnswer): T {
  if ('error' in answer) throw new Error(`${call.url}: ${answer.error}`);
  let body: { message?: string; error?: string } & Record<string, unknown>;
  try {
    body = JSON.parse(answer.body) as typeof body;
  } catch {
    throw new Error(`${call.url}: HTTP ${answer.status}: ${answer.body.slice(0, 200)}`);
  }
  if (answer.status !== 200)
    throw new Error(
      `${call.url}: HTTP ${answer.status}: ${body.message ?? body.error ?? answer.body.slice(0, 200)}`,
    );
  return body as T;
}
