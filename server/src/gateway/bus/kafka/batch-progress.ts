/**
 * Tracks which records of one partition's batch have been handled, when handlers finish out of
 * order (different ordering keys run in parallel), and says how far the consumer may commit:
 * up to the first record not handled yet, never past it.
 *
 * @example
 * const progress = new BatchProgress(['10', '11', '12']);
 * progress.done('11'); // undefined: 10 is still running
 * progress.done('10'); // '12': 10 and 11 are handled, 12 is next
 */
export class BatchProgress {
  private readonly pending: bigint[];
  private readonly finished = new Set<bigint>();
  private committable?: bigint;

  constructor(offsets: readonly string[]) {
    this.pending = offsets.map((offset) => BigInt(offset)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Marks a record handled; returns the new offset to commit (last contiguous handled + 1) when it moved. */
  done(offset: string): string | undefined {
    this.finished.add(BigInt(offset));
    let moved = false;
    while (this.pending.length > 0 && this.finished.has(this.pending[0])) {
      const head = this.pending.shift() as bigint;
      this.finished.delete(head);
      this.committable = head + 1n;
      moved = true;
    }
    return moved ? String(this.committable) : undefined;
  }

  /** The last handled offset of the contiguous prefix, for kafkajs' `resolveOffset`. */
  lastHandled(): string | undefined {
    return this.committable === undefined ? undefined : String(this.committable - 1n);
  }

  /** Records not handled yet. */
  get remaining(): number {
    return this.pending.length;
  }
}

export interface KeyedRecord {
  key: string;
  offset: string;
}

/**
 * Runs one batch: records with the same key strictly one after another in offset order, different
 * keys in parallel (at most `concurrency` at once). `deliver` resolves true once the record is
 * handled, false to give up; after a give-up, or once `shouldContinue` turns false, no later record
 * of that key starts, so a key's order survives an interrupted batch.
 */
export async function runByKey<T extends KeyedRecord>(
  records: readonly T[],
  deliver: (record: T) => Promise<boolean>,
  options: { concurrency: number; shouldContinue: () => boolean; onHandled: (record: T) => void },
): Promise<void> {
  const chains = new Map<string, T[]>();
  for (const record of records) {
    const chain = chains.get(record.key);
    if (chain) chain.push(record);
    else chains.set(record.key, [record]);
  }
  const keys = [...chains.keys()];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < keys.length) {
      const chain = chains.get(keys[next++]) as T[];
      for (const record of chain) {
        if (!options.shouldContinue()) return;
        if (!(await deliver(record))) break;
        options.onHandled(record);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, keys.length)) }, lane));
}
