import { randomBytes } from 'node:crypto';

/** W3C/OTel-compatible ids: 16-byte trace ids, 8-byte span ids, as lowercase hex. */
export const newTraceId = (): string => randomBytes(16).toString('hex');
export const newSpanId = (): string => randomBytes(8).toString('hex');

const CLIENT_TRACE_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
/** A client-supplied trace id (x-assay-trace-id) is accepted when short and URL-safe. */
export const isValidClientTraceId = (id: string): boolean => CLIENT_TRACE_ID.test(id);
