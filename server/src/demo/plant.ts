import type { TargetKind } from '@loopgate/contracts';
import type { CncCellSimulator } from '../targets/opcua/simulator';
import { targetDefinition } from '../targets/registry';
import type { RunningSimulator } from '../targets/sim-kit';

/** The recipe the demo flow writes FeedRate to, at the Opcenter simulator. */
export const DEMO_RECIPE = 'CNC_Cell_01/OP20';

export interface DemoPlant {
  simulators: Partial<Record<TargetKind, RunningSimulator>>;
  close(): Promise<void>;
}

export interface DemoPlantOptions {
  /** Port of each kind's simulator; 0 or absent lets the OS pick. */
  ports?: Partial<Record<TargetKind, number>>;
  /** The credential every simulator accepts (random per simulator when absent). */
  secret?: string;
}

/**
 * The demo's plant: a simulator for each of `kinds`, with the MES linked to the
 * machine the way a plant links them: a FeedRate applied to the cell's recipe at Opcenter (by the
 * gateway or by a person at the MES) is downloaded to the CNC cell, so the cell runs at it and its
 * spindle load answers the write: the effect the gateway measures. The embedded demo and the
 * compose demo's simulators container (`plant-main`) both run it.
 */
export async function startDemoPlant(kinds: readonly TargetKind[], options: DemoPlantOptions = {}): Promise<DemoPlant> {
  const simulators: Partial<Record<TargetKind, RunningSimulator>> = {};
  const opened: RunningSimulator[] = [];
  const close = async () => {
    for (const sim of opened.splice(0).reverse()) {
      await sim.close().catch((error: unknown) => {
        process.stderr.write(`demo plant: closing a simulator failed: ${(error as Error).message}\n`);
      });
    }
  };
  try {
    for (const kind of new Set(kinds)) {
      const { simulator } = targetDefinition(kind);
      if (!simulator) throw new Error(`the demo's ${kind} target has no simulator`);
      const sim = await simulator.start({ port: options.ports?.[kind] ?? 0, secret: options.secret });
      opened.push(sim);
      simulators[kind] = sim;
    }
  } catch (error) {
    await close();
    throw error;
  }
  linkRecipeToCell(simulators);
  return { simulators, close };
}

function linkRecipeToCell(simulators: Partial<Record<TargetKind, RunningSimulator>>): void {
  const mes = simulators.opcenter;
  const cell = simulators.opcua as CncCellSimulator | undefined;
  if (!mes || !cell) return;
  mes.onApplied((entry) => {
    if (entry.object === DEMO_RECIPE && entry.parameter === 'FeedRate' && typeof entry.value === 'number')
      cell.downloadFeedRate(entry.value, entry.object);
  });
}
