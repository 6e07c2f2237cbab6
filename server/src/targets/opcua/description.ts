import type { TargetDescription } from '@loopgate/contracts';
import { setParameter } from '../actions';

/** An OPC UA server's setpoints, described once. */
export const opcuaDescription: TargetDescription = {
  kind: 'opcua',
  label: 'OPC UA setpoint',
  system: 'an OPC UA server (setpoint write)',
  nodeType: 'opcua-setpoint-out',
  paletteLabel: 'opc ua setpoint',
  exampleInstance: 'opcua-demo',
  parameterLabel: 'Setpoint (name or OPC UA node id)',
  actions: [
    setParameter(
      ['equipment', 'recipe-parameter'],
      'a setpoint, named by the target configuration or by OPC UA node id, on equipment',
    ),
  ],
  capabilities: { readBack: true, locks: false, idempotentCreate: false, eventLog: false },
  notes:
    'The gateway writes, reads the value back to confirm it, and refuses safety interlocks and values outside the ' +
    'configured bounds; the flow never writes to the OPC UA server itself.',
};
