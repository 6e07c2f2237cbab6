/** Types for the parts of node-red-node-test-helper the palette specs use. */
declare module 'node-red-node-test-helper' {
  import type { EventEmitter } from 'node:events';

  interface HelperNode extends EventEmitter {
    id: string;
    type: string;
    receive(msg: Record<string, unknown>): void;
    [key: string]: unknown;
  }

  interface SupertestLike {
    get(path: string): PromiseLike<{ status: number; body: unknown }> & { set(name: string, value: string): unknown };
  }

  interface NodeTestHelper {
    init(runtimePath?: string, userSettings?: Record<string, unknown>): void;
    settings(userSettings?: Record<string, unknown>): Record<string, unknown>;
    load(
      nodes: unknown,
      flow: Record<string, unknown>[],
      credentials?: Record<string, Record<string, string>>,
    ): Promise<void>;
    unload(): Promise<void>;
    getNode(id: string): HelperNode;
    startServer(): Promise<void>;
    stopServer(): Promise<void>;
    request(): SupertestLike;
    log(): { args: unknown[][] };
  }

  const helper: NodeTestHelper;
  export default helper;
}
