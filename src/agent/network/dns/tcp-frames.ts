/** DNS over TCP framing (RFC 1035 4.2.2): each message follows its length in two bytes. */

/** The message with its two length bytes in front. */
export function frameMessage(msg: Buffer): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16BE(msg.length);
  return Buffer.concat([head, msg]);
}

/** The first whole message in `buffered` and what follows it, or undefined while it is incomplete. */
export function takeFrame(buffered: Buffer): { msg: Buffer; rest: Buffer } | undefined {
  if (buffered.length < 2) return undefined;
  const len = buffered.readUInt16BE(0);
  if (buffered.length < len + 2) return undefined;
  return { msg: Buffer.from(buffered.subarray(2, 2 + len)), rest: buffered.subarray(2 + len) };
}
