/**
 * The slice of Node-RED's runtime API the Loopgate nodes use, typed once so every node file is
 * typed without depending on community type packages. Node-RED 4.1 and 5 both provide all of it.
 */

/** A Node-RED message: `_msgid`, usually `payload` and `topic`, and whatever nodes add. */
export interface NodeMessage {
  _msgid?: string;
  payload?: unknown;
  topic?: string;
  [key: string]: unknown;
}

/** One message, or one entry per output (an array per output sends several). */
export type NodeOutput = NodeMessage | (NodeMessage | NodeMessage[] | null | undefined)[] | null;
export type NodeSend = (msg: NodeOutput) => void;
export type NodeDone = (err?: Error) => void;

export type StatusFill = 'red' | 'green' | 'yellow' | 'blue' | 'grey';
export interface NodeStatus {
  fill?: StatusFill;
  shape?: 'ring' | 'dot';
  text?: string;
}

/** What the editor saved for a node: its id, type, tab and its own properties. */
export interface NodeDef {
  id: string;
  type: string;
  z?: string;
  name?: string;
  [property: string]: unknown;
}

export interface NodeContextStore {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

export interface NodeContext extends NodeContextStore {
  flow: NodeContextStore;
  global: NodeContextStore;
}

/** A runtime node as Node-RED builds it with `RED.nodes.createNode`. */
export interface Node<Credentials = Record<string, string | undefined>> {
  readonly id: string;
  readonly type: string;
  readonly z?: string;
  name?: string;
  credentials?: Partial<Credentials>;
  on(event: 'input', listener: (msg: NodeMessage, send: NodeSend, done: NodeDone) => void | Promise<void>): void;
  on(event: 'close', listener: (removed: boolean, done: () => void) => void): void;
  send(msg: NodeOutput): void;
  status(status: NodeStatus | Record<string, never>): void;
  log(message: unknown): void;
  warn(message: unknown): void;
  error(message: unknown, msg?: NodeMessage): void;
  debug(message: unknown): void;
  context(): NodeContext;
}

export type NodeConstructor<N> = (this: N, def: NodeDef) => void;

/** Minimal Express-like router: `RED.httpAdmin` is an Express app. */
export interface HttpRequest {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body?: unknown;
}
export interface HttpResponse {
  status(code: number): HttpResponse;
  json(body: unknown): void;
}
export type HttpHandler = (req: HttpRequest, res: HttpResponse, next: (err?: unknown) => void) => void;
export interface HttpRouter {
  get(path: string, ...handlers: HttpHandler[]): void;
}

export interface NodeSettingDefinition {
  value: unknown;
  exportable?: boolean;
}

export interface RegisterOptions {
  credentials?: Record<string, { type: 'text' | 'password' }>;
  /** Names must start with the node type in camel case (`opcenter-out` → `opcenterOut...`). */
  settings?: Record<string, NodeSettingDefinition>;
}

export interface NodeAPI {
  nodes: {
    createNode(node: object, def: NodeDef): void;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    registerType(type: string, constructor: NodeConstructor<any>, options?: RegisterOptions): void;
    getNode(id: string): unknown;
  };
  util: {
    getMessageProperty(msg: NodeMessage, path: string): unknown;
    setMessageProperty(msg: NodeMessage, path: string, value: unknown, createMissing?: boolean): boolean;
    cloneMessage<T extends NodeMessage>(msg: T): T;
    evaluateNodeProperty(
      value: string,
      type: string,
      node: object,
      msg: NodeMessage | undefined,
      callback: (err: Error | null | undefined, result: unknown) => void,
    ): void;
  };
  httpAdmin: HttpRouter;
  auth: { needsPermission(permission: string): HttpHandler };
  log: { warn(message: unknown): void; info(message: unknown): void };
  version?: () => string;
}
