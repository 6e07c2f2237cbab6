import { randomBytes } from 'node:crypto';
import * as os from 'node:os';

/**
 * This gateway process, as it names itself to an MES that records lock holders: host, pid and a
 * random suffix, so two processes (or a restart reusing a pid) never share a holder name.
 */
export const GATEWAY_PROCESS_ID = `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
