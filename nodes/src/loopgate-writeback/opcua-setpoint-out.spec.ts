import { describeOutputNode, INFERENCE, RULE } from '../testing/output-node-cases';
import writeBackOutputs from './loopgate-writeback';

describeOutputNode('opcua', writeBackOutputs, {
  config: {
    action: 'set-parameter',
    objectType: 'equipment',
    objectId: 'CNC_Cell_01',
    objectIdType: 'str',
    parameter: 'ns=1;s=CNC_Cell_01.FeedRateOverride',
    parameterType: 'str',
    value: 'payload',
    valueType: 'msg',
  },
  msg: { payload: 95, inference: INFERENCE, rule: RULE },
  expected: {
    action: 'set-parameter',
    object: { type: 'equipment', id: 'CNC_Cell_01' },
    parameter: 'ns=1;s=CNC_Cell_01.FeedRateOverride',
    value: 95,
  },
  badMsg: { payload: Number.NaN, inference: INFERENCE, rule: RULE },
  badPath: '$.value',
});
