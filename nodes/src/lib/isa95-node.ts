import type { EquipmentPath, ValidationIssue } from '@loopgate/contracts';
import { hierarchyFor } from '../isa95-hierarchy/isa95-hierarchy';
import { fromB2mmlDocument, toB2mmlDocument } from './b2mml';
import {
  configPropertyOf,
  ISA95_CONTEXT_KEYS,
  type Isa95Context,
  type Isa95Object,
  type Isa95ObjectModel,
} from './isa95';
import type { Node, NodeAPI, NodeDef } from './node-red';
import { evaluate, typedProperty } from './typed-value';
import { describeIssues, ISSUE_CODES, isPlainObject } from './validation';
import { onInput } from './input';

/** `msg.error` on the error output of the palette's validating nodes. */
export interface PaletteMessageError {
  code: string;
  message: string;
  issues: ValidationIssue[];
  source: { id: string; type: string; name?: string };
}

export function errorMessage(node: Node, code: string, issues: ValidationIssue[], prefix: string): PaletteMessageError {
  return {
    code,
    message: `${prefix}: ${describeIssues(issues)}`,
    issues,
    source: { id: node.id, type: node.type, name: node.name },
  };
}

/**
 * Registers one ISA-95 object node. Each maps message fields (or a B2MML document) to a typed
 * object in `msg.isa95`, validates it, and sends valid messages to output 1 and invalid ones,
 * with `msg.error` naming every bad field, to output 2.
 *
 * @example
 * registerIsa95Node(RED, 'isa95-material-lot', materialLotModel);
 */
export function registerIsa95Node<T extends Isa95Object>(
  RED: NodeAPI,
  nodeType: string,
  model: Isa95ObjectModel<T>,
): void {
  const contextKey = ISA95_CONTEXT_KEYS[model.objectType];

  function Isa95ObjectNode(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const mode = def.mode === 'b2mml' ? 'b2mml' : 'fields';
    const b2mmlInput = typeof def.b2mmlInput === 'string' && def.b2mmlInput !== '' ? def.b2mmlInput : 'payload';
    const b2mmlOutput = typeof def.b2mmlOutput === 'string' ? def.b2mmlOutput.trim() : '';
    const fields = model.fields.map((field) => ({ field, prop: typedProperty(def, configPropertyOf(field), 'msg') }));
    const hierarchy = hierarchyFor(RED, def.hierarchy);
    if ('problem' in hierarchy) this.status({ fill: 'red', shape: 'ring', text: hierarchy.problem });

    onInput(this, async (msg, send, done) => {
      const fail = (code: string, issues: ValidationIssue[]) => {
        msg.error = errorMessage(this, code, issues, `${nodeType}: invalid ${model.objectType}`);
        this.status({
          fill: 'yellow',
          shape: 'ring',
          text: `invalid: ${issues[0]?.path} ${issues[0]?.message}`.slice(0, 60),
        });
        send([null, msg]);
        done();
      };
      if ('problem' in hierarchy) {
        fail(ISSUE_CODES.invalidConfig, [
          { code: ISSUE_CODES.invalidConfig, path: '$.hierarchy', message: hierarchy.problem },
        ]);
        return;
      }
      let raw: Record<string, unknown>;
      if (mode === 'b2mml') {
        const parsed = fromB2mmlDocument(RED.util.getMessageProperty(msg, b2mmlInput), model.element);
        if (!parsed.success) return fail(ISSUE_CODES.invalidXml, parsed.issues);
        raw = model.fromB2mml(parsed.value);
      } else {
        raw = {};
        const issues: ValidationIssue[] = [];
        for (const { field, prop } of fields) {
          try {
            raw[field] = await evaluate(RED, this, prop, msg);
          } catch (err) {
            issues.push({
              code: 'EVALUATION_FAILED',
              path: `$.${field}`,
              message: `${prop.type} ${prop.value}: ${(err as Error).message}`,
            });
          }
        }
        if (issues.length > 0) return fail('EVALUATION_FAILED', issues);
      }
      const result = model.validate(raw, (hierarchy as { path?: EquipmentPath }).path);
      if (!result.success) return fail('VALIDATION_FAILED', result.issues);
      try {
        const context: Isa95Context = isPlainObject(msg.isa95) ? { ...(msg.isa95 as Isa95Context) } : {};
        (context as Record<string, Isa95Object>)[contextKey] = result.value;
        msg.isa95 = context;
        if (b2mmlOutput !== '')
          RED.util.setMessageProperty(
            msg,
            b2mmlOutput,
            toB2mmlDocument(model.element, model.toB2mml(result.value)),
            true,
          );
      } catch (err) {
        this.status({ fill: 'red', shape: 'dot', text: 'error' });
        done(err as Error);
        return;
      }
      this.status({ fill: 'green', shape: 'dot', text: result.value.id });
      send([msg, null]);
      done();
    });
  }

  RED.nodes.registerType(nodeType, Isa95ObjectNode);
}
