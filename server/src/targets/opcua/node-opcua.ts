/** The node-opcua SDK's module type. */
export type NodeOpcua = typeof import('node-opcua', { with: { 'resolution-mode': 'import' } });

let loading: Promise<NodeOpcua> | undefined;

/** node-opcua ships as an ES module and the server compiles to CommonJS, so it is loaded with `import()`, once. */
export function loadNodeOpcua(): Promise<NodeOpcua> {
  loading ??= import('node-opcua');
  return loading;
}
