import { describeOutputNode, INFERENCE, RULE } from '../testing/output-node-cases';
import writeBackOutputs from './loopgate-writeback';

describeOutputNode('cmms', writeBackOutputs, {
  config: {
    action: 'create-maintenance-work-order',
    objectType: 'equipment',
    objectId: 'CNC_Cell_01/Spindle',
    objectIdType: 'str',
    details: {
      description: { value: 'payload.description', valueType: 'msg' },
      priority: { value: '2', valueType: 'num' },
    },
  },
  msg: { payload: { description: 'Bearing failure predicted within 72 h' }, inference: INFERENCE, rule: RULE },
  expected: {
    action: 'create-maintenance-work-order',
    object: { type: 'equipment', id: 'CNC_Cell_01/Spindle' },
    details: { description: 'Bearing failure predicted within 72 h', priority: 2 },
  },
  badMsg: { payload: { description: { not: 'text' } }, inference: INFERENCE, rule: RULE },
  badPath: '$.details.description',
});
