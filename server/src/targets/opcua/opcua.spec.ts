import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TargetWrite } from '../adapter';
import { describeTargetContract, expectNoSecrets, failureOf, harnessFromDefinition } from '../contract-suite';
import { TargetConfigError } from '../target-config';
import { aiChangedCompanions, nodeIdsOf, OpcuaAdapter, valueMismatch } from './adapter';
import { parseOpcuaConfig } from './config';
import { opcuaTarget } from './index';
import { loadNodeOpcua } from './node-opcua';
import {
  CNC_CELL_NAMESPACE_URI,
  CNC_CELL_NODE_IDS,
  CNC_CELL_USER,
  startCncCellSimulator,
  type CncCellSimulator,
} from './simulator';
import { freePort } from '../../common/free-port';

describeTargetContract('opcua', () => harnessFromDefinition(opcuaTarget));

// Ports the OS says are free, taken once: the simulator restarts on the same one, and one is left
// without a server for the "unreachable" case.
let CELL_PORT: number;
let ADMIN_PORT: number;
let OFFLINE_PORT: number;

beforeAll(async () => {
  [CELL_PORT, ADMIN_PORT, OFFLINE_PORT] = [await freePort(), await freePort(), await freePort()];
});
const SECRET = 'engineer-password-for-tests';

const CELL = { type: 'equipment' as const, id: 'CNC_Cell_01' };
const setpoint = (parameter: string, value: number | boolean | string, externalRef: string): TargetWrite => ({
  action: 'set-parameter',
  object: CELL,
  parameter,
  value,
  externalRef,
  reason: 'tool wear compensation',
});

function adapterFor(
  cell: CncCellSimulator,
  user?: { username: string; password: string },
  timeoutMs = 2000,
): OpcuaAdapter {
  return new OpcuaAdapter(
    user ? 'cnc-engineer' : 'cnc-anonymous',
    parseOpcuaConfig({
      endpointUrl: cell.endpointUrl,
      namespaceUri: CNC_CELL_NAMESPACE_URI,
      requestTimeoutMs: timeoutMs,
      writesPerSecond: 100,
      ...(user ?? {}),
    }),
  );
}

describe('OPC UA target against the CNC cell', () => {
  let cell: CncCellSimulator;
  let anonymous: OpcuaAdapter;
  let engineer: OpcuaAdapter;

  beforeAll(async () => {
    cell = await startCncCellSimulator({ port: CELL_PORT, adminPort: ADMIN_PORT, secret: SECRET, seed: 7 });
    anonymous = adapterFor(cell);
    engineer = adapterFor(cell, { username: CNC_CELL_USER, password: SECRET });
  });
  afterAll(async () => {
    await anonymous?.close();
    await engineer?.close();
    await cell?.close();
  });
  beforeEach(() => cell.reset());

  describe('setpoint writes', () => {
    it('reads the prior FeedRate and writes a compensated one, confirmed by read-back', async () => {
      expect(await anonymous.read({ object: CELL, parameter: 'FeedRate' })).toEqual({
        value: 1200,
        locked: false,
        audited: false,
      });
      await anonymous.write(setpoint('FeedRate', 1180, 'feed-1'));
      expect((await anonymous.read({ object: CELL, parameter: 'FeedRate' })).value).toBe(1180);
      expect(cell.state().feedRate).toBe(1180);
      expect(cell.ledger()).toMatchObject([
        { parameter: 'FeedRate', value: 1180, source: 'api', externalRef: 'feed-1' },
      ]);
    });

    it('addresses a node by its full node id too', async () => {
      await anonymous.write({
        ...setpoint(CNC_CELL_NODE_IDS.feedRate, 1170, 'feed-full'),
        object: { type: 'equipment', id: CNC_CELL_NODE_IDS.cell },
      });
      expect(cell.state().feedRate).toBe(1170);
    });

    it('rejects a string for the Double FeedRate as TYPE_MISMATCH, before writing', async () => {
      const failure = await failureOf(anonymous.write(setpoint('FeedRate', '1180', 'type-string')));
      expect(failure).toMatchObject({ kind: 'rejected', code: 'TYPE_MISMATCH' });
      expect(failure.message).toContain('Double');
      expect(cell.ledger()).toEqual([]);
    });

    it('rejects a number for the Boolean MaintenanceMode as TYPE_MISMATCH', async () => {
      const failure = await failureOf(engineer.write(setpoint('MaintenanceMode', 1, 'type-bool')));
      expect(failure).toMatchObject({ kind: 'rejected', code: 'TYPE_MISMATCH' });
      expect(cell.ledger()).toEqual([]);
    });

    it('rejects a write to the read-only SpindleInterlock as NOT_WRITABLE and reads it as not to be written', async () => {
      const failure = await failureOf(engineer.write(setpoint('SpindleInterlock', false, 'interlock')));
      expect(failure).toMatchObject({ kind: 'rejected', code: 'NOT_WRITABLE' });
      expect(await anonymous.read({ object: CELL, parameter: 'SpindleInterlock' })).toEqual({
        value: true,
        locked: false,
        audited: true,
      });
      expect(cell.state().spindleInterlock).toBe(true);
    });

    it('rejects an anonymous MaintenanceMode write as ACCESS_DENIED; the engineer may write it', async () => {
      const failure = await failureOf(anonymous.write(setpoint('MaintenanceMode', true, 'maint-anon')));
      expect(failure).toMatchObject({ kind: 'rejected', code: 'ACCESS_DENIED' });
      expect(cell.state().maintenanceMode).toBe(false);

      await engineer.write(setpoint('MaintenanceMode', true, 'maint-engineer'));
      expect(cell.state().maintenanceMode).toBe(true);
      expect(cell.ledger().map((e) => e.externalRef)).toEqual(['maint-engineer']);
    });

    it('rejects a FeedRate outside the instrument range as OUT_OF_RANGE', async () => {
      const failure = await failureOf(anonymous.write(setpoint('FeedRate', 9000, 'range')));
      expect(failure).toMatchObject({ kind: 'rejected', code: 'OUT_OF_RANGE' });
      expect(cell.state().feedRate).toBe(1200);
    });

    it('reports an unknown node as NOT_FOUND', async () => {
      const failure = await failureOf(anonymous.read({ object: CELL, parameter: 'NoSuchNode' }));
      expect(failure).toMatchObject({ kind: 'rejected', code: 'NOT_FOUND' });
    });

    it('refuses actions other than set-parameter, before sending', async () => {
      const failure = await failureOf(
        anonymous.write({
          action: 'hold-lot',
          object: { type: 'material-lot', id: 'L1' },
          externalRef: 'x',
          reason: 'x',
        }),
      );
      expect(failure).toMatchObject({ kind: 'rejected', code: 'UNSUPPORTED_ACTION' });
    });

    it('reads a hand edit at the HMI and the cell lock held by the operator console', async () => {
      cell.operatorEdit('CNC_Cell_01', 'FeedRate', 1111);
      cell.lock('CNC_Cell_01', 'hmi-01');
      expect(await anonymous.read({ object: CELL, parameter: 'FeedRate' })).toEqual({
        value: 1111,
        locked: true,
        audited: false,
      });
      const failure = await failureOf(anonymous.write(setpoint('FeedRate', 1100, 'locked')));
      expect(failure).toMatchObject({ kind: 'locked', code: 'RECORD_LOCKED' });
      expect(cell.ledger().map((e) => e.source)).toEqual(['operator']);
    });
  });

  describe("the HMI's AI-changed flag", () => {
    let flagged: OpcuaAdapter;
    beforeAll(() => {
      flagged = new OpcuaAdapter(
        'cnc-flagged',
        parseOpcuaConfig({
          endpointUrl: cell.endpointUrl,
          namespaceUri: CNC_CELL_NAMESPACE_URI,
          writesPerSecond: 100,
          aiChangedFlag: true,
        }),
      );
    });
    afterAll(() => flagged?.close());
    const ai = { initiator: 'ai' as const, modelId: 'tool-wear-cnc', modelVersion: '1.2.0', commandId: 'cmd-ai-1' };

    it('an AI write raises the flag next to the setpoint, naming the model and the command', async () => {
      await flagged.write({ ...setpoint('FeedRate', 1140, 'cmd-ai-1'), origin: ai });
      expect(cell.state().feedRate).toBe(1140);
      expect(cell.hmiFlag('FeedRate')).toEqual({ aiChanged: true, by: 'tool-wear-cnc 1.2.0, command cmd-ai-1' });
      expect(cell.hmiFlag('MaintenanceMode')).toEqual({ aiChanged: false, by: '' });
    });

    it("a person's write through the gateway clears it", async () => {
      await flagged.write({ ...setpoint('FeedRate', 1140, 'cmd-ai-1'), origin: ai });
      await flagged.write({
        ...setpoint('FeedRate', 1200, 'cmd-human-1'),
        origin: { initiator: 'human', commandId: 'cmd-human-1' },
      });
      expect(cell.hmiFlag('FeedRate')).toEqual({ aiChanged: false, by: '' });
    });

    it("an operator's edit at the HMI clears it", async () => {
      await flagged.write({ ...setpoint('FeedRate', 1140, 'cmd-ai-1'), origin: ai });
      cell.operatorEdit('CNC_Cell_01', 'FeedRate', 1190);
      expect(cell.hmiFlag('FeedRate')).toEqual({ aiChanged: false, by: '' });
    });

    it('a target without the flag configured writes the value alone', async () => {
      await anonymous.write({ ...setpoint('FeedRate', 1140, 'cmd-ai-2'), origin: ai });
      expect(cell.state().feedRate).toBe(1140);
      expect(cell.hmiFlag('FeedRate')).toEqual({ aiChanged: false, by: '' });
    });

    it('has companions for string node ids only', () => {
      expect(aiChangedCompanions('ns=1;i=2001', ai)).toEqual([]);
      expect(aiChangedCompanions('ns=1;s=Cell.FeedRate', undefined)).toEqual([]);
      expect(
        aiChangedCompanions('ns=1;s=Cell.FeedRate', { ...ai, modelId: undefined, modelVersion: undefined }),
      ).toEqual([
        { nodeId: 'ns=1;s=Cell.FeedRate_AIChanged', dataType: 'Boolean', value: true },
        { nodeId: 'ns=1;s=Cell.FeedRate_AIChangedBy', dataType: 'String', value: 'AI, command cmd-ai-1' },
      ]);
    });
  });

  describe('one session, reconnecting', () => {
    it('keeps one session across many requests', async () => {
      await anonymous.read({ object: CELL, parameter: 'FeedRate' });
      const before = cell.requestCount();
      for (let i = 0; i < 10; i += 1) await anonymous.read({ object: CELL, parameter: 'SpindleLoad' });
      // One Read each: no session was created again.
      expect(cell.requestCount() - before).toBe(10);
    });

    it('writes again after the server restarted mid-session, on a new session', async () => {
      await anonymous.write(setpoint('FeedRate', 1190, 'before-restart'));
      await cell.restart();
      await anonymous.write(setpoint('FeedRate', 1185, 'after-restart'));
      expect(cell.state().feedRate).toBe(1185);
      expect(cell.ledger().map((e) => e.externalRef)).toEqual(['before-restart', 'after-restart']);
    });

    it('reports a write while the server is down as transient with nothing applied, and writes once it is back', async () => {
      await anonymous.read({ object: CELL, parameter: 'FeedRate' });
      await cell.offline();
      try {
        const failure = await failureOf(anonymous.write(setpoint('FeedRate', 1175, 'while-down')));
        expect(failure.kind).toBe('transient');
        expect((await anonymous.health()).healthy).toBe(false);
      } finally {
        await cell.online();
      }
      expect(cell.ledger()).toEqual([]);
      await anonymous.write(setpoint('FeedRate', 1175, 'while-down'));
      expect(cell.ledger().map((e) => e.externalRef)).toEqual(['while-down']);
      expect((await anonymous.health()).healthy).toBe(true);
    });

    it('reports a connection lost after the write was sent as unknown; the value had landed', async () => {
      await anonymous.read({ object: CELL, parameter: 'FeedRate' });
      cell.faults.set({ dropRate: 1 });
      const failure = await failureOf(anonymous.write(setpoint('FeedRate', 1165, 'dropped')));
      cell.faults.clear();
      expect(failure).toMatchObject({ kind: 'unknown', code: 'CONNECTION_DROPPED' });
      expect((await anonymous.read({ object: CELL, parameter: 'FeedRate' })).value).toBe(1165);
    });
  });

  describe('credentials', () => {
    it('reports a wrong password as auth, keeping the password out of the error', async () => {
      const wrong = adapterFor(cell, { username: CNC_CELL_USER, password: 'not-the-password-4711' });
      try {
        const failure = await failureOf(wrong.read({ object: CELL, parameter: 'FeedRate' }));
        expect(failure).toMatchObject({ kind: 'auth', code: 'AUTH_FAILED' });
        expectNoSecrets(failure, ['not-the-password-4711', SECRET]);
      } finally {
        await wrong.close();
      }
    });
  });

  describe('security', () => {
    it('writes over a signed and encrypted session', async () => {
      const secure = new OpcuaAdapter(
        'cnc-secure',
        parseOpcuaConfig({
          endpointUrl: cell.endpointUrl,
          namespaceUri: CNC_CELL_NAMESPACE_URI,
          securityMode: 'SignAndEncrypt',
          trustUnknownServerCertificate: true,
          username: CNC_CELL_USER,
          password: SECRET,
        }),
      );
      try {
        await secure.write(setpoint('MaintenanceMode', true, 'secure'));
        expect(cell.state().maintenanceMode).toBe(true);
      } finally {
        await secure.close();
      }
    });

    it('refuses a server certificate nobody trusted, as auth', async () => {
      const pkiDir = mkdtempSync(join(tmpdir(), 'loopgate-opcua-untrusting-'));
      const untrusting = new OpcuaAdapter(
        'cnc-untrusting',
        parseOpcuaConfig({ endpointUrl: cell.endpointUrl, securityMode: 'SignAndEncrypt', pkiDir }),
      );
      try {
        const failure = await failureOf(untrusting.read({ object: CELL, parameter: 'FeedRate' }));
        expect(failure).toMatchObject({ kind: 'auth', code: 'CERTIFICATE_UNTRUSTED' });
      } finally {
        await untrusting.close();
        rmSync(pkiDir, { recursive: true, force: true });
      }
    });
  });

  describe('the demo cell', () => {
    it('lets a subscriber follow SpindleLoad rising with wear, and ToolChange resets the wear', async () => {
      const ua = await loadNodeOpcua();
      const client = ua.OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0 } });
      await client.connect(cell.endpointUrl);
      const session = await client.createSession();
      try {
        cell.setToolWear(0.9);
        const subscription = await session.createSubscription2({
          requestedPublishingInterval: 100,
          requestedMaxKeepAliveCount: 10,
          publishingEnabled: true,
        });
        const item = await subscription.monitor(
          { nodeId: CNC_CELL_NODE_IDS.spindleLoad, attributeId: ua.AttributeIds.Value },
          { samplingInterval: 100, queueSize: 10 },
          ua.TimestampsToReturn.Both,
        );
        const loads: number[] = [];
        await new Promise<void>((resolve) => {
          item.on('changed', (dataValue) => {
            loads.push(dataValue.value.value as number);
            if (loads.length >= 3) resolve();
          });
        });
        await subscription.terminate();
        // New tool, nominal feed: about 40 %; worn at 0.9: about 85 %.
        expect(Math.min(...loads)).toBeGreaterThan(75);

        const result = await session.call({ objectId: CNC_CELL_NODE_IDS.cell, methodId: CNC_CELL_NODE_IDS.toolChange });
        expect(result.statusCode.isGood()).toBe(true);
        const wear = await session.read({ nodeId: CNC_CELL_NODE_IDS.toolWear, attributeId: ua.AttributeIds.Value });
        expect(wear.value.value).toBeLessThan(0.01);
      } finally {
        await session.close();
        await client.disconnect();
      }
    });

    it('takes fault injection over the HTTP admin API', async () => {
      const post = (path: string, body: unknown) =>
        fetch(`${cell.adminUrl}/${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      expect((await post('operator-edit', { parameter: 'FeedRate', value: 1099 })).status).toBe(200);
      expect((await anonymous.read({ object: CELL, parameter: 'FeedRate' })).value).toBe(1099);
      const ledger = (await (await fetch(`${cell.adminUrl}/ledger`)).json()) as { entries: unknown[] };
      expect(ledger.entries).toMatchObject([{ parameter: 'FeedRate', value: 1099, source: 'operator' }]);
      expect((await post('lock', { holder: 'hmi' })).status).toBe(204);
      expect((await anonymous.read({ object: CELL, parameter: 'FeedRate' })).locked).toBe(true);
      expect((await post('operator-edit', { parameter: 'NoSuch', value: 1 })).status).toBe(404);
    });
  });
});

describe('OPC UA target offline from the start', () => {
  it('reports a server that is not there as transient CONNECTION_REFUSED', async () => {
    const adapter = new OpcuaAdapter(
      'cnc-nowhere',
      parseOpcuaConfig({ endpointUrl: `opc.tcp://127.0.0.1:${OFFLINE_PORT}`, requestTimeoutMs: 2000 }),
    );
    try {
      const failure = await failureOf(adapter.write(setpoint('FeedRate', 1180, 'nowhere')));
      expect(failure).toMatchObject({ kind: 'transient', code: 'CONNECTION_REFUSED' });
      expect((await adapter.health()).healthy).toBe(false);
    } finally {
      await adapter.close();
    }
  });
});

describe('valueMismatch', () => {
  it('accepts numbers for floating-point nodes', () => {
    expect(valueMismatch('Double', -1, 1180.5)).toBeNull();
    expect(valueMismatch('Float', -1, 12)).toBeNull();
  });

  it('accepts integers within the range of integer nodes, and refuses others', () => {
    expect(valueMismatch('Int16', -1, -32768)).toBeNull();
    expect(valueMismatch('Byte', -1, 256)).toMatch(/does not fit/);
    expect(valueMismatch('UInt32', -1, 1.5)).toMatch(/fractional/);
  });

  it('refuses another JavaScript type, arrays and types Loopgate does not write', () => {
    expect(valueMismatch('Boolean', -1, 1)).toMatch(/Boolean, not a number/);
    expect(valueMismatch('String', -1, true)).toMatch(/String/);
    expect(valueMismatch('Double', 1, 1)).toMatch(/array/);
    expect(valueMismatch('DateTime', -1, '2026-01-01')).toMatch(/does not write/);
  });
});

describe('nodeIdsOf', () => {
  it('builds the node and its object lock from object and parameter', () => {
    expect(nodeIdsOf({ object: CELL, parameter: 'FeedRate' }, 'urn:x')).toEqual({
      node: 'nsu=urn:x;s=CNC_Cell_01.FeedRate',
      lock: 'nsu=urn:x;s=CNC_Cell_01.Lock.Locked',
    });
    expect(nodeIdsOf({ object: CELL, parameter: 'FeedRate' }).node).toBe('ns=1;s=CNC_Cell_01.FeedRate');
  });

  it('takes a full node id as it is', () => {
    expect(nodeIdsOf({ object: CELL, parameter: 'ns=3;i=1001' })).toEqual({ node: 'ns=3;i=1001' });
  });

  it('refuses an address without a parameter', () => {
    expect(() => nodeIdsOf({ object: CELL })).toThrow(/needs a parameter/);
  });
});

describe('OPC UA configuration', () => {
  it('takes the password from the environment variable it names', () => {
    const config = parseOpcuaConfig(
      { endpointUrl: 'opc.tcp://127.0.0.1:4840', username: 'loopgate', passwordEnv: 'CNC_OPCUA_PASSWORD' },
      { CNC_OPCUA_PASSWORD: 'pw-from-env' },
    );
    expect(config.user?.password.reveal()).toBe('pw-from-env');
    expect(config).toMatchObject({ securityMode: 'None', securityPolicy: 'None', writesPerSecond: 10 });
    expect(JSON.stringify(config)).not.toContain('pw-from-env');
  });

  it('names each bad field', () => {
    try {
      parseOpcuaConfig({ endpointUrl: 'http://cell', securityMode: 'Encrypt', healthNodeId: 'Spindle' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TargetConfigError);
      const paths = [...new Set((error as TargetConfigError).issues.map((i) => i.path))].sort();
      expect(paths).toEqual(['$.endpointUrl', '$.healthNodeId', '$.securityMode']);
    }
  });

  it('refuses a password without a user name, and a security policy that does not match the mode', () => {
    expect(() => parseOpcuaConfig({ endpointUrl: 'opc.tcp://h:4840', password: 'x' })).toThrow(/username/);
    expect(() =>
      parseOpcuaConfig({ endpointUrl: 'opc.tcp://h:4840', securityMode: 'None', securityPolicy: 'Basic256Sha256' }),
    ).toThrow(/securityPolicy/);
  });
});
