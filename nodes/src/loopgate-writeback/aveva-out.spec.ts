import { describeOutputNode, INFERENCE, RULE } from '../testing/output-node-cases';
import writeBackOutputs from './loopgate-writeback';

const lot = { type: 'material-lot', id: 'LOT-4711', materialDefinitionId: 'STEEL-42CrMo4', properties: {} };

describeOutputNode('aveva', writeBackOutputs, {
  config: {
    action: 'hold-lot',
    objectType: 'material-lot',
    objectId: '',
    objectIdType: 'str',
    reason: 'payload.reason',
    reasonType: 'msg',
  },
  msg: {
    payload: { reason: 'out of spec: scrap correlation 0.93' },
    isa95: { materialLot: lot },
    inference: INFERENCE,
    rule: RULE,
  },
  expected: {
    action: 'hold-lot',
    object: { type: 'material-lot', id: 'LOT-4711' },
    reason: 'out of spec: scrap correlation 0.93',
  },
  badMsg: { payload: { reason: 'no lot in this message' }, inference: INFERENCE, rule: RULE },
  badPath: '$.object.id',
});
