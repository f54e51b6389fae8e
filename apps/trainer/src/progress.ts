import cliProgress from 'cli-progress';

/** A progress display of one long step (indexing, rollouts, training steps). */
export interface Progress {
  /** Sets the count done so far, with a short status text (`reward 0.41`). */
  update(value: number, status?: string): void;
  /** Ends the display (the bar stays on screen; plain mode prints a final line). */
  stop(): void;
}

export interface ProgressOptions {
  label: string;
  total: number;
  /** Default `process.stderr`. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Force plain lines (true) or a bar (false); default: plain unless the stream is a TTY and CI is not set. */
  plain?: boolean;
  /** Plain mode: print at most one line per this many milliseconds (besides the first and the last). Default 5000. */
  plainIntervalMs?: number;
  /** Suppress all output. */
  silent?: boolean;
}

/** Whether progress should be plain lines: not a TTY, or `CI` set to anything but `false`/`0`. */
export function wantsPlainProgress(stream: { isTTY?: boolean }, environment: NodeJS.ProcessEnv = process.env): boolean {
  const ci = environment.CI;
  return stream.isTTY !== true || (ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0');
}

/**
 * A progress bar on a terminal (cli-progress), or plain `label value/total status` lines when the
 * output is a file, a pipe or CI, at most one every `plainIntervalMs`, so that logs stay readable.
 */
export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  if (options.silent === true) return { update() {}, stop() {} };
  const plain = options.plain ?? wantsPlainProgress(stream);
  const total = Math.max(0, options.total);
  if (!plain) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${options.label} [{bar}] {value}/{total} {duration_formatted} eta {eta_formatted} {status}`,
        stream,
        hideCursor: false,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { status: '' });
    return {
      update: (value, status = '') => bar.update(value, { status }),
      stop: () => bar.stop(),
    };
  }
  const interval = options.plainIntervalMs ?? 5000;
  const started = Date.now();
  let lastPrinted = -Infinity;
  let lastPrintedValue = Number.NaN;
  let lastValue = 0;
  let lastStatus = '';
  let stopped = false;
  const print = (value: number, status: string) => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    stream.write(`${options.label} ${value}/${total} ${seconds}s${status === '' ? '' : ` ${status}`}\n`);
    lastPrinted = Date.now();
    lastPrintedValue = value;
  };
  return {
    update(value, status = '') {
      lastValue = value;
      lastStatus = status;
      if (Date.now() - lastPrinted >= interval) print(value, status);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (lastValue !== lastPrintedValue) print(lastValue, lastStatus);
    },
  };
}
