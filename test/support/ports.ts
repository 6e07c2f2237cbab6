/** Ports for processes a test starts itself, so tests never collide with each other or the services. */
import { freePort } from '../../server/src/common/free-port';

export { freePort };

/** `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}
