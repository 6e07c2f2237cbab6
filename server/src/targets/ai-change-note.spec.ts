import { afterEach, describe, expect, it } from 'vitest';
import type { TargetAdapter, TargetWrite, WriteOrigin } from './adapter';
import { withAiChangeNote } from './ai-change-note';
import { avevaTarget } from './aveva';
import { startAvevaSimulator, type AvevaSimulator } from './aveva/simulator';
import { factoryTalkTarget } from './factorytalk';
import { startFactoryTalkSimulator, type FactoryTalkSimulator } from './factorytalk/simulator';
import { opcenterTarget } from './opcenter';
import { startOpcenterSimulator, type OpcenterSimulator } from './opcenter/simulator';
import { writeAsGateway } from './write-cycle';

const AI: WriteOrigin = { initiator: 'ai', modelId: 'tool-wear', modelVersion: '3.1', commandId: 'c-ai' };
const PERSON: WriteOrigin = { initiator: 'human', commandId: 'c-person' };
const NOTE = 'AI-changed (tool-wear 3.1, command c-ai): tool wear compensation';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function feedRate(object: string, parameter: string, value: number, origin: WriteOrigin): TargetWrite {
  return {
    object: { type: 'recipe-parameter', id: object },
    parameter,
    action: 'set-parameter',
    value,
    externalRef: `${origin.commandId}-${value}`,
    reason: 'tool wear compensation',
    origin,
  };
}

function adapterFor<C>(
  definition: { parseConfig(raw: unknown): C; create(i: string, c: C): TargetAdapter },
  raw: unknown,
) {
  const adapter = definition.create('note-test', definition.parseConfig(raw));
  closers.push(() => adapter.close());
  return adapter;
}

describe('withAiChangeNote', () => {
  it("puts the model and the command in front of an AI write's reason, and leaves a person's alone", () => {
    expect(withAiChangeNote('tool wear compensation', AI)).toBe(NOTE);
    expect(withAiChangeNote('tool wear compensation', PERSON)).toBe('tool wear compensation');
    expect(withAiChangeNote('r', { initiator: 'ai', commandId: 'c' })).toBe('AI-changed (AI model, command c): r');
  });
});

describe('the AI-changed flag where the MES shows a comment with the value', () => {
  it("AVEVA: the historised write comment names the model; a person's write after it does not", async () => {
    const sim: AvevaSimulator = await startAvevaSimulator();
    closers.push(() => sim.close());
    const adapter = adapterFor(avevaTarget, avevaTarget.simulator!.connection(sim));
    const { address } = avevaTarget.simulator!.sample;
    const write = (value: number, origin: WriteOrigin) =>
      writeAsGateway(adapter, {
        ...avevaTarget.simulator!.sample.write(value, `${origin.commandId}-${value}`),
        origin,
      });
    const fqn = `${address.object.id}.${address.parameter}`;
    await write(avevaTarget.simulator!.sample.value(0) as number, AI);
    expect(sim.history(fqn).at(-1)?.Comment).toBe(
      `AI-changed (tool-wear 3.1, command c-ai): ${avevaTarget.simulator!.sample.write(0, 'x').reason}`,
    );
    await write(avevaTarget.simulator!.sample.value(1) as number, PERSON);
    expect(sim.history(fqn).at(-1)?.Comment).not.toMatch(/AI-changed/);
  });

  it("FactoryTalk: the recipe parameter's last change comment names the model until a person writes or edits it", async () => {
    const sim: FactoryTalkSimulator = await startFactoryTalkSimulator({ extra: { recipes: 1 } });
    closers.push(() => sim.close());
    const adapter = adapterFor(factoryTalkTarget, factoryTalkTarget.simulator!.connection(sim));
    const comment = async () => {
      const answer = await fetch(`${sim.url}/api/recipes/RCP-LOAD-001/parameters/FeedRate`, {
        headers: { authorization: `Basic ${Buffer.from(`${sim.username}:${sim.secrets[0]}`).toString('base64')}` },
      });
      return ((await answer.json()) as { lastChangeComment: string | null }).lastChangeComment;
    };
    await writeAsGateway(adapter, feedRate('RCP-LOAD-001', 'FeedRate', 1190, AI));
    expect(await comment()).toBe(NOTE);
    sim.operatorEdit('RCP-LOAD-001', 'FeedRate', 1185);
    expect(await comment()).toBeNull();
    await writeAsGateway(adapter, feedRate('RCP-LOAD-001', 'FeedRate', 1180, AI));
    await writeAsGateway(adapter, feedRate('RCP-LOAD-001', 'FeedRate', 1175, PERSON));
    expect(await comment()).toBe('tool wear compensation');
  });

  it("Opcenter: the process parameter's last change reason names the model until a person writes or edits it", async () => {
    const sim: OpcenterSimulator = await startOpcenterSimulator();
    closers.push(() => sim.close());
    const adapter = adapterFor(opcenterTarget, opcenterTarget.simulator!.connection(sim));
    const reason = async () => {
      const token = (await (
        await fetch(`${sim.url}/sit-auth/OAuth/Token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: sim.clientId,
            client_secret: sim.secrets[0],
          }),
        })
      ).json()) as { access_token: string };
      const filter = encodeURIComponent(`RecipeId eq 'CNC-01/OP20' and Name eq 'FeedRate'`);
      const answer = await fetch(
        `${sim.url}/sit-svc/application/${sim.app}/odata/ProcessParameters?$filter=${filter}`,
        {
          headers: { authorization: `Bearer ${token.access_token}` },
        },
      );
      return ((await answer.json()) as { value: { LastChangeReason: string | null }[] }).value[0].LastChangeReason;
    };
    await writeAsGateway(adapter, feedRate('CNC-01/OP20', 'FeedRate', 1190, AI));
    expect(await reason()).toBe(NOTE);
    sim.operatorEdit('CNC-01/OP20', 'FeedRate', 1185);
    expect(await reason()).toBeNull();
    await writeAsGateway(adapter, feedRate('CNC-01/OP20', 'FeedRate', 1175, PERSON));
    expect(await reason()).toBe('tool wear compensation');
  });
});
