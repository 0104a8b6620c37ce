/**
 * One DNS message in, one out (or none): decodes with dns-packet, answers the cluster zone itself,
 * forwards the rest. A message that cannot be decoded gets FORMERR when its header can be read and
 * nothing otherwise; nothing here throws for any input.
 */
import * as packet from 'dns-packet';
import type { Forwarder } from './forwarder.js';
import { type ClusterZone, inZone } from './records.js';
import { REVERSE_ZONE, reverseAnswer } from './reverse.js';

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
/** Plain DNS over UDP without EDNS (RFC 1035 4.2.1). */
const UDP_PLAIN = 512;
/** The most we send over UDP whatever EDNS size the client offers (the DNS flag day 2020 figure). */
const UDP_MAX = 1232;

/** What the handler needs. */
export interface QueryContext {
  readonly zone: ClusterZone;
  readonly forwarder: Forwarder;
}

/** A header-only reply: the query's id and RD bit, QR and RA set, and `rcode`. */
function bare(query: Buffer, rcode: number): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt16BE(query.readUInt16BE(0), 0);
  const opcode = (query.readUInt16BE(2) >> 11) & 0xf;
  out.writeUInt16BE(
    0x8000 |
      (opcode << 11) |
      (query.readUInt16BE(2) & packet.RECURSION_DESIRED) |
      packet.RECURSION_AVAILABLE |
      rcode,
    2,
  );
  return out;
}

/**
 * Answers one query message. `tcp` says how it came (UDP answers are cut to the client's size
 * with TC set, so it asks again over TCP). Resolves undefined when nothing should be sent.
 */
export async function handleQuery(
  query: Buffer,
  tcp: boolean,
  ctx: QueryContext,
): Promise<Buffer | undefined> {
  if (query.length < 12) return undefined;
  // Never answer a response: two servers could otherwise bounce messages forever.
  if (query.readUInt16BE(2) & 0x8000) return undefined;
  if ((query.readUInt16BE(2) >> 11) & 0xf) return bare(query, RCODE.NOTIMP);
  let decoded: packet.DecodedPacket;
  try {
    decoded = packet.decode(query);
  } catch {
    return bare(query, RCODE.FORMERR);
  }
  const questions = decoded.questions ?? [];
  const question = questions[0];
  if (questions.length !== 1 || !question || typeof question.name !== 'string')
    return bare(query, RCODE.FORMERR);
  const name = question.name.toLowerCase().replace(/\.$/, '');
  const reverse =
    (question.class ?? 'IN') === 'IN' && inZone(name, REVERSE_ZONE)
      ? reverseAnswer(ctx.zone, name, question.type)
      : undefined;
  if (!reverse && !inZone(name, ctx.zone.zone)) {
    const reply = await ctx.forwarder.forward(query, tcp).catch(() => undefined);
    return reply ?? bare(query, RCODE.SERVFAIL);
  }
  if ((question.class ?? 'IN') !== 'IN') return bare(query, RCODE.REFUSED);
  const answer = reverse ?? ctx.zone.answer(name, question.type);
  const opt = (decoded.additionals ?? []).find((r) => r.type === 'OPT') as packet.OptAnswer | undefined;
  const flags =
    packet.AUTHORITATIVE_ANSWER |
    ((decoded.flags ?? 0) & packet.RECURSION_DESIRED) |
    packet.RECURSION_AVAILABLE |
    RCODE[answer.rcode];
  const response: packet.Packet = {
    type: 'response',
    id: decoded.id ?? 0,
    flags,
    questions: [question],
    answers: answer.answers as packet.Answer[],
    authorities: answer.authorities as packet.Answer[],
    additionals: [
      ...(answer.additionals as packet.Answer[]),
      ...(opt ? [{ type: 'OPT', name: '.', udpPayloadSize: UDP_MAX, flags: 0 } as packet.Answer] : []),
    ],
  };
  const full = packet.encode(response);
  const limit = tcp
    ? 65535
    : opt
      ? Math.min(Math.max(opt.udpPayloadSize ?? UDP_PLAIN, UDP_PLAIN), UDP_MAX)
      : UDP_PLAIN;
  if (full.length <= limit) return full;
  // Too big for the client's UDP size: the question alone with TC, as RFC 2181 9 asks.
  return packet.encode({
    ...response,
    flags: flags | packet.TRUNCATED_RESPONSE,
    answers: [],
    authorities: [],
    additionals: [],
  });
}
