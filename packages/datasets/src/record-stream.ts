import { createReadStats, type MutableReadStats, type ReadStats } from './read-stats';

/**
 * The records of one input, read lazily. Each `for await` (or `toArray()`) reads the input again from the
 * start and replaces `stats` with the counters of that pass. Breaking out of the loop closes the file.
 */
export interface RecordStream<Item> extends AsyncIterable<Item> {
  /** The counters of the latest pass (all zero before the first). */
  readonly stats: ReadStats;
  /** Reads every record into an array. */
  toArray(): Promise<Item[]>;
}

export function createRecordStream<Item>(
  source: string,
  produce: (stats: MutableReadStats) => AsyncGenerator<Item>,
): RecordStream<Item> {
  let stats = createReadStats(source);
  return {
    get stats(): ReadStats {
      return stats;
    },
    [Symbol.asyncIterator]() {
      stats = createReadStats(source);
      return produce(stats);
    },
    async toArray() {
      const records: Item[] = [];
      for await (const record of this) records.push(record);
      return records;
    },
  };
}
