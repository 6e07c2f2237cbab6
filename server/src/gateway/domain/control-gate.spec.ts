import { describe, expect, it } from 'vitest';
import { ControlGate } from './control-gate';

describe('ControlGate', () => {
  it('is open by default', async () => {
    expect(await new ControlGate().waitOpen('t', Date.now() + 1000)).toBe('open');
  });

  it('holds dispatch while stopped and releases it on resume', async () => {
    const gate = new ControlGate();
    gate.setStopped(true);
    const waiting = gate.waitOpen('t', Date.now() + 10_000, 'cmd-1');
    expect(gate.waiting()).toBe(1);
    expect([gate.holding('cmd-1'), gate.holding('cmd-2')]).toEqual([true, false]);
    gate.setStopped(false);
    expect(await waiting).toBe('open');
    expect(gate.holding('cmd-1')).toBe(false);
  });

  it('holds only the paused target', async () => {
    const gate = new ControlGate();
    gate.setPaused('a', true);
    expect(await gate.waitOpen('b', Date.now() + 1000)).toBe('open');
    const a = gate.waitOpen('a', Date.now() + 10_000);
    gate.setPaused('a', false);
    expect(await a).toBe('open');
  });

  it('keeps a paused target held when only the kill switch is released', async () => {
    const gate = new ControlGate();
    gate.setPaused('a', true);
    gate.setStopped(true);
    gate.setStopped(false);
    expect(gate.state('a')).toBe('paused');
  });

  it('gives up at the deadline', async () => {
    const gate = new ControlGate();
    gate.setStopped(true);
    expect(await gate.waitOpen('t', Date.now() + 20)).toBe('deadline');
  });

  it('releases waiters as closed at shutdown', async () => {
    const gate = new ControlGate();
    gate.setStopped(true);
    const waiting = gate.waitOpen('t', Date.now() + 10_000);
    gate.close();
    expect(await waiting).toBe('closed');
  });
});
