import type { AiEpisode, EpisodeRevertResult, WriteBackOutcome } from '@loopgate/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayTestApp, type GatewayTestApp } from '../testing/api-app';
import { FakeTarget } from '../testing/fake-target';
import { FEED, setRequest } from '../testing/harness';

const SERVICE = 'token:line1';
const OPERATOR = 'olivia:operator';
const VIEWER = 'vera:viewer';

let gw: GatewayTestApp;
const fake = new FakeTarget({ instance: 'opc-1' });

beforeAll(async () => {
  fake.set(FEED, 1200);
  gw = await createGatewayTestApp([
    {
      instance: 'opc-1',
      fake,
      // The cases share one key: the revert of one must not hold the AI writes of the next (the
      // hold after a revert is the engine spec's case).
      guardrails: { limits: [{ parameter: 'FeedRate', min: 100, max: 5000, maxStepPercent: 5 }], revertHoldSeconds: 0 },
    },
  ]);
});

afterAll(async () => gw?.close());

const json = async <T>(response: Response): Promise<T> => (await response.json()) as T;

async function settled(commandId: string): Promise<WriteBackOutcome> {
  for (let i = 0; i < 500; i++) {
    const outcome = await json<WriteBackOutcome>(await gw.call('GET', `/writebacks/${commandId}`, { as: SERVICE }));
    if (!['queued', 'dispatching'].includes(outcome.state)) return outcome;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`${commandId} did not settle`);
}

describe('AI episodes over the API', () => {
  it('shows a drift of small AI steps as one episode and reverts it in one action past the step limit', async () => {
    const steps: WriteBackOutcome[] = [];
    // Eight steps of 4–5 %: each under the 5 % step limit, −32 % together.
    for (const value of [1150, 1100, 1050, 1000, 955, 910, 870, 830]) {
      const created = await json<WriteBackOutcome>(
        await gw.call('POST', '/writebacks', { as: SERVICE, body: setRequest(fake, { value }) }),
      );
      steps.push(await settled(created.commandId));
    }
    expect(steps.map((s) => s.state)).toEqual(Array(8).fill('applied'));
    const episode = await json<AiEpisode>(
      await gw.call('GET', `/writebacks/${steps[3].commandId}/episode`, { as: VIEWER }),
    );
    expect(episode).toMatchObject({ valueBefore: 1200, currentValue: 830, open: true });
    expect(episode.commandIds).toEqual(steps.map((s) => s.commandId));

    expect(
      (await gw.call('POST', `/writebacks/${steps[0].commandId}/revert-episode`, { as: VIEWER, body: { reason: 'x' } }))
        .status,
    ).toBe(403);
    const response = await gw.call('POST', `/writebacks/${steps[0].commandId}/revert-episode`, {
      as: OPERATOR,
      body: { reason: 'the model drifted the feed rate down a third' },
    });
    expect(response.status).toBe(202);
    const { revert } = await json<EpisodeRevertResult>(response);
    // Reverts are judged on interlocks and bounds only: the 45 % step back is the operator's call.
    expect(await settled(revert.commandId)).toMatchObject({ state: 'reverted', priorValue: 830, newValue: 1200 });
    expect(fake.appliedTo(FEED).at(-1)?.value).toBe(1200);
    const again = await gw.call('POST', `/writebacks/${steps[5].commandId}/revert-episode`, {
      as: OPERATOR,
      body: { reason: 'again' },
    });
    expect(again.status).toBe(200);
    expect((await json<EpisodeRevertResult>(again)).revert.commandId).toBe(revert.commandId);
  });

  it('answers 409 EPISODE_ENDED once a person wrote the key, and 409 NOT_IN_EPISODE for a person’s write', async () => {
    const ai = await json<WriteBackOutcome>(
      await gw.call('POST', '/writebacks', { as: SERVICE, body: setRequest(fake, { value: 1180 }) }),
    );
    await settled(ai.commandId);
    const { initiator: _omit, ...body } = setRequest(fake, { value: 1190 });
    const person = await json<WriteBackOutcome>(await gw.call('POST', '/writebacks', { as: 'ada:admin', body }));
    await settled(person.commandId);
    const ended = await gw.call('POST', `/writebacks/${ai.commandId}/revert-episode`, {
      as: OPERATOR,
      body: { reason: 'x' },
    });
    expect(ended.status).toBe(409);
    expect((await json<{ code: string }>(ended)).code).toBe('EPISODE_ENDED');
    const notAi = await gw.call('GET', `/writebacks/${person.commandId}/episode`, { as: VIEWER });
    expect(notAi.status).toBe(409);
    expect((await json<{ code: string }>(notAi)).code).toBe('NOT_IN_EPISODE');
  });
});
