import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ControlGate } from '../domain/control-gate';
import { TargetAvailability, type TargetDown } from './target-availability';

const OPTIONS = { downAfter: 3, probeInitialMs: 100, probeMaxMs: 400 };

let gate: ControlGate;
let health: { healthy: boolean; message?: string };
let probes: number[];
let changes: (TargetDown | undefined)[];
let told: boolean[];
let availability: TargetAvailability;

beforeEach(() => {
  vi.useFakeTimers({ now: Date.parse('2026-03-01T08:00:00Z') });
  gate = new ControlGate(() => Date.now());
  health = { healthy: false, message: 'HTTP_503: busy' };
  probes = [];
  changes = [];
  told = [];
  availability = new TargetAvailability(
    gate,
    () => Date.now(),
    async () => {
      probes.push(Date.now());
      return health;
    },
    (_instance, down, fromStore) => {
      changes.push(down);
      told.push(fromStore ?? false);
    },
    () => OPTIONS,
  );
});

afterEach(() => {
  availability.close();
  gate.close();
  vi.useRealTimers();
});

describe('TargetAvailability', () => {
  it('marks a target down after three outage signals in a row, and the gate holds its queues', () => {
    availability.outage('ft-1', 'HTTP_503: busy');
    availability.outage('ft-1', 'HTTP_503: busy');
    expect(availability.isDown('ft-1')).toBe(false);
    expect(gate.state('ft-1')).toBe('open');
    availability.outage('ft-1', 'ECONNREFUSED');
    expect(availability.downState('ft-1')).toEqual({
      since: '2026-03-01T08:00:00.000Z',
      reason: '3 outage signals in a row, the last: ECONNREFUSED',
      probes: 0,
      nextProbeAt: '2026-03-01T08:00:00.100Z',
    });
    expect(gate.state('ft-1')).toBe('down');
    expect(gate.state('other')).toBe('open');
  });

  it('an answer in between ends the run: outages must be consecutive', () => {
    availability.outage('ft-1', 'a');
    availability.outage('ft-1', 'b');
    availability.success('ft-1');
    availability.outage('ft-1', 'c');
    availability.outage('ft-1', 'd');
    expect(availability.isDown('ft-1')).toBe(false);
  });

  it('probes with exponential backoff up to the ceiling while the target stays down', async () => {
    for (let i = 0; i < 3; i++) availability.outage('ft-1', 'HTTP_503: busy');
    const start = Date.now();
    await vi.advanceTimersByTimeAsync(100 + 200 + 400 + 400);
    expect(probes.map((t) => t - start)).toEqual([100, 300, 700, 1100]);
    expect(availability.downState('ft-1')).toMatchObject({ probes: 4, lastProbe: 'HTTP_503: busy' });
    expect(gate.state('ft-1')).toBe('down');
  });

  it('a healthy probe marks it up: a command waiting at the gate goes on', async () => {
    for (let i = 0; i < 3; i++) availability.outage('ft-1', 'HTTP_503: busy');
    const waiting = gate.waitOpen('ft-1', Date.now() + 60_000);
    await vi.advanceTimersByTimeAsync(100);
    expect(availability.isDown('ft-1')).toBe(true);
    health = { healthy: true };
    await vi.advanceTimersByTimeAsync(200);
    await expect(waiting).resolves.toBe('open');
    expect(availability.isDown('ft-1')).toBe(false);
    expect(changes.map((c) => (c ? 'down' : 'up'))).toEqual(['down', 'down', 'up']);
  });

  it('an answer dispatch gets while down marks it up and stops the probes', async () => {
    for (let i = 0; i < 3; i++) availability.outage('ft-1', 'HTTP_503: busy');
    availability.success('ft-1');
    expect(gate.state('ft-1')).toBe('open');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(probes).toEqual([]);
  });

  it("takes another process's stored verdict: holds the queues, probes on its own, and lets go when told up", async () => {
    const elsewhere = { since: '2026-03-01T07:59:58.000Z', reason: '3 outage signals in a row, the last: HTTP_503' };
    availability.adopt('ft-1', { ...elsewhere, probes: 0, nextProbeAt: '' });
    expect(gate.state('ft-1')).toBe('down');
    expect(availability.downState('ft-1')).toMatchObject(elsewhere);
    await vi.advanceTimersByTimeAsync(100);
    expect(probes).toHaveLength(1);
    availability.release('ft-1');
    expect(gate.state('ft-1')).toBe('open');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(probes).toHaveLength(1);
    // Changes the store told of are marked, so the engine does not store them back.
    expect(changes.map((c) => (c ? 'down' : 'up'))).toEqual(['down', 'down', 'up']);
    expect(told).toEqual([true, false, true]);
  });

  it('a command whose notAfter passes while the target is down expires at the gate', async () => {
    for (let i = 0; i < 3; i++) availability.outage('ft-1', 'HTTP_503: busy');
    const waiting = gate.waitOpen('ft-1', Date.now() + 250);
    await vi.advanceTimersByTimeAsync(250);
    await expect(waiting).resolves.toBe('deadline');
  });
});
