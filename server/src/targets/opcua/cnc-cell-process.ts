/**
 * The machining process behind the simulated CNC cell, free of OPC UA so it can be tested alone:
 * the tool wears while the spindle cuts (faster at a higher feed rate), and the spindle load rises
 * with both feed rate and wear, with measurement noise. A tool change resets the wear.
 *
 * @example
 * const cell = new CncCellProcess({ seed: 1 });
 * cell.advance(60_000); // one minute of cutting
 * cell.snapshot().spindleLoad; // ≈ 40 % + wear share
 */
export interface CncCellProcessOptions {
  /** Feed rate setpoint at start, mm/min. */
  initialFeedRate?: number;
  /** Tool wear at start, 0 (new tool) .. 1 (worn out). */
  initialToolWear?: number;
  /** Wear gained per second of cutting at the nominal feed rate. */
  wearPerSecond?: number;
  /** Amplitude of the spindle load noise, in % (uniform, ±). */
  noise?: number;
  /** Seed of the noise, for reproducible runs. */
  seed?: number;
}

export interface CncCellSnapshot {
  /** Spindle load, % of rated torque. */
  spindleLoad: number;
  /** Feed rate setpoint, mm/min. */
  feedRate: number;
  /** 0 (new tool) .. 1 (worn out). */
  toolWear: number;
  /** `true` while the guard interlock is made; the spindle only turns then. */
  spindleInterlock: boolean;
  /** `true` while the cell is in maintenance: the spindle is stopped and the tool does not wear. */
  maintenanceMode: boolean;
}

/** Feed rate at which the load and wear figures below are rated, mm/min. */
export const NOMINAL_FEED_RATE = 1200;
/** Spindle load of a new tool at the nominal feed rate, %. */
const BASE_LOAD = 40;
/** Extra spindle load of a worn-out tool, %. */
const WEAR_LOAD = 50;
const MAX_LOAD = 150;

export class CncCellProcess {
  private feedRate: number;
  private toolWear: number;
  private spindleLoad = 0;
  private spindleInterlock = true;
  private maintenanceMode = false;
  private readonly wearPerSecond: number;
  private readonly noise: number;
  private readonly random: () => number;

  constructor(options: CncCellProcessOptions = {}) {
    this.feedRate = options.initialFeedRate ?? NOMINAL_FEED_RATE;
    this.toolWear = clamp(options.initialToolWear ?? 0, 0, 1);
    this.wearPerSecond = options.wearPerSecond ?? 0.002;
    this.noise = options.noise ?? 1.5;
    this.random = mulberry32(options.seed ?? Date.now());
    this.spindleLoad = this.loadNow();
  }

  /** Moves the process forward by `elapsedMs` of machining time. */
  advance(elapsedMs: number): void {
    if (this.cutting()) {
      const wear = this.wearPerSecond * (elapsedMs / 1000) * (this.feedRate / NOMINAL_FEED_RATE);
      this.toolWear = clamp(this.toolWear + wear, 0, 1);
    }
    this.spindleLoad = this.loadNow();
  }

  setFeedRate(value: number): void {
    this.feedRate = value;
    this.spindleLoad = this.loadNow();
  }

  setMaintenanceMode(value: boolean): void {
    this.maintenanceMode = value;
    this.spindleLoad = this.loadNow();
  }

  setSpindleInterlock(value: boolean): void {
    this.spindleInterlock = value;
    this.spindleLoad = this.loadNow();
  }

  setToolWear(value: number): void {
    this.toolWear = clamp(value, 0, 1);
    this.spindleLoad = this.loadNow();
  }

  /** A new tool: wear back to zero. */
  toolChange(): void {
    this.setToolWear(0);
  }

  snapshot(): CncCellSnapshot {
    return {
      spindleLoad: this.spindleLoad,
      feedRate: this.feedRate,
      toolWear: this.toolWear,
      spindleInterlock: this.spindleInterlock,
      maintenanceMode: this.maintenanceMode,
    };
  }

  private cutting(): boolean {
    return this.spindleInterlock && !this.maintenanceMode && this.feedRate > 0;
  }

  private loadNow(): number {
    if (!this.cutting()) return 0;
    const load = BASE_LOAD * (this.feedRate / NOMINAL_FEED_RATE) + WEAR_LOAD * this.toolWear;
    const noise = (this.random() * 2 - 1) * this.noise;
    return round2(clamp(load + noise, 0, MAX_LOAD));
  }
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Small seeded PRNG (mulberry32): reproducible noise without a dependency. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
