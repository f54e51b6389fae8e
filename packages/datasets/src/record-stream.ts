import { createReadStats, type MutableReadStats, type ReadStats } from './read-stats';

/**
 * The records of one input, read lazily. Each `for await` (or `toArray()`) reads the input again from the
 * start and replaces `stats` with the counters of that pass. Breaking out of the loop closes the file.
 */
export interface RecordStream<Record> extends AsyncIterable<Record> {
  /** The counters of the latest pass (all zero before the first). */
  readonly stats: ReadStats;
  /** Reads every record into an array. */
  toArray(): Promise<Record[]>;
}

export function createRecordStream<Record>(
  source: string,
  produce: (stats: MutableReadStats) => AsyncGenerator<Record>,
): RecordStream<Record> {
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
      const records: Record[] = [];
      for await (const record of this) records.push(record);
      return records;
    },
  };
}
