import { describeOutputNode, INFERENCE, RULE } from '../testing/output-node-cases';
import writeBackOutputs from './loopgate-writeback';

describeOutputNode('factorytalk', writeBackOutputs, {
  config: {
    action: 'reroute-work-order',
    objectType: 'work-order',
    objectId: 'payload.workOrder',
    objectIdType: 'msg',
    details: { workCenter: { value: 'payload.destination', valueType: 'msg' } },
  },
  msg: { payload: { workOrder: 'WO-1001', destination: 'CELL_C' }, inference: INFERENCE, rule: RULE },
  expected: {
    action: 'reroute-work-order',
    object: { type: 'work-order', id: 'WO-1001' },
    details: { workCenter: 'CELL_C' },
  },
  badMsg: { payload: { workOrder: 'WO-1001' }, inference: INFERENCE, rule: RULE },
  badPath: '$.details.workCenter',
});
