// Synchronous calls from a worker thread to the main thread: the worker posts a request and sleeps
// on a shared Int32 flag (Atomics.wait) until the main thread has written the JSON answer into the
// shared buffer. Suggestions must return at once (objectives call them synchronously), and the
// sampler and storage stay in the main thread, where every worker's trials meet.
import { decodeJson, encodeJson } from '../storage/log-storage';

export interface Channel {
  flag: Int32Array;
  data: Uint8Array;
}

export const CHANNEL_BYTES = 1 << 20;

export function newChannel(): Channel {
  return { flag: new Int32Array(new SharedArrayBuffer(8)), data: new Uint8Array(new SharedArrayBuffer(CHANNEL_BYTES)) };
}

export type Reply = { ok: unknown } | { error: { name: string; message: string } };

/** Main thread: writes the reply and wakes the worker. */
export function answer(ch: Channel, reply: Reply): void {
  let bytes = Buffer.from(encodeJson(reply), 'utf8');
  if (bytes.length > CHANNEL_BYTES) bytes = Buffer.from(encodeJson({ error: { name: 'RangeError', message: `optimize: a worker's reply exceeds ${CHANNEL_BYTES} bytes` } }), 'utf8');
  ch.data.set(bytes);
  ch.flag[1] = bytes.length;
  Atomics.store(ch.flag, 0, 1);
  Atomics.notify(ch.flag, 0);
}

/** Worker thread: posts the request and blocks for the reply; rethrows the main thread's error by type. */
export function call(ch: Channel, post: (m: unknown) => void, method: string, args: unknown): unknown {
  Atomics.store(ch.flag, 0, 0);
  post({ method, args: encodeJson(args) });
  Atomics.wait(ch.flag, 0, 0);
  const reply = decodeJson<Reply>(Buffer.from(ch.data.subarray(0, ch.flag[1])).toString('utf8'));
  if ('error' in reply) throw toError(reply.error);
  return reply.ok;
}

/** An error sent across threads as {name, message}, rebuilt as a TypeError, RangeError or named Error. */
export function toError(e: { name: string; message: string }): Error {
  const E = e.name === 'TypeError' ? TypeError : e.name === 'RangeError' ? RangeError : Error;
  const err = new E(e.message);
  if (!(err instanceof TypeError || err instanceof RangeError)) err.name = e.name;
  return err;
}
