// Training progress: a cli-progress bar per epoch on a terminal (epoch, batch, loss, rate, ETA), and a
// summary line per epoch; on a non-terminal stream only the summary lines.
import { SingleBar } from 'cli-progress';
import type { Logs } from './types';

export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** `progress` option of fit: true/false, or `{stream}` to write to another stream than stderr. */
export type ProgressOption = boolean | { stream: ProgressStream };

const fmt = (v: number): string => (Number.isFinite(v) && v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential(3) : v.toFixed(4));

export class EpochProgress {
  private bar: SingleBar | null = null;
  private t0 = 0;

  private constructor(private readonly stream: ProgressStream, private readonly epochs: number) {}

  /** null when nothing is to be shown: `progress` false, or unset on a non-TTY stderr. */
  static create(option: ProgressOption | undefined, epochs: number): EpochProgress | null {
    if (option === false) return null;
    if (option === undefined || option === true) {
      if (option === undefined && !process.stderr.isTTY) return null;
      return new EpochProgress(process.stderr, epochs);
    }
    if (option && typeof option === 'object' && typeof option.stream?.write === 'function') return new EpochProgress(option.stream, epochs);
    throw new TypeError('fit: progress must be a boolean or {stream}');
  }

  start(epoch: number, batches: number): void {
    this.t0 = Date.now();
    if (this.stream.isTTY !== true) return;
    this.bar = new SingleBar({
      stream: this.stream as NodeJS.WritableStream,
      format: `Epoch ${epoch}/${this.epochs} [{bar}] {value}/{total} | loss {loss} | {rate} batch/s | ETA {eta_formatted}`,
      barsize: 24,
      clearOnComplete: true,
      hideCursor: false,
      etaBuffer: 20,
    });
    this.bar.start(batches, 0, { loss: '-', rate: '-' });
  }

  batch(done: number, meanLoss: number): void {
    if (!this.bar) return;
    const secs = (Date.now() - this.t0) / 1000;
    this.bar.update(done, { loss: fmt(meanLoss), rate: secs > 0 ? (done / secs).toFixed(1) : '-' });
  }

  end(epoch: number, logs: Logs): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = null;
    }
    const secs = ((Date.now() - this.t0) / 1000).toFixed(1);
    const parts = Object.entries(logs).map(([k, v]) => `${k} ${k === 'lr' ? v.toPrecision(4) : fmt(v)}`);
    this.stream.write(`Epoch ${epoch}/${this.epochs} - ${secs}s - ${parts.join(' - ')}\n`);
  }

  /** Leaves the terminal clean when fit throws mid-epoch. */
  abort(): void {
    if (this.bar) this.bar.stop();
    this.bar = null;
  }
}
