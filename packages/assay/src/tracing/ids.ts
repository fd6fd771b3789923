import { randomFillSync } from 'node:crypto';

/**
 * W3C/OTel-compatible ids: 16-byte trace ids, 8-byte span ids, as lowercase hex. Random bytes come
 * from a pooled buffer refilled 4 KiB at a time (one system call per ~300 ids, not one per id).
 */
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let offset = POOL_SIZE;

function randomHex(bytes: number): string {
  if (offset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}

export const newTraceId = (): string => randomHex(16);
export const newSpanId = (): string => randomHex(8);

const CLIENT_TRACE_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
/** A client-supplied trace id (x-assay-trace-id) is accepted when short and URL-safe. */
export const isValidClientTraceId = (id: string): boolean => CLIENT_TRACE_ID.test(id);
