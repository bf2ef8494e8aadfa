// The journal file backend: one JSON operation per line, appended under a lock file created with
// O_EXCL (as Optuna's JournalFileOpenLock). A lock left by a dead process on this host is broken.
import { closeSync, existsSync, fstatSync, linkSync, openSync, readFileSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Op } from './model';
import { HeartbeatOptions, LogBackend, LogStorage, decodeOp, encodeOp } from './log-storage';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function holderIsDead(content: string): boolean {
  const [host, pid] = content.split(' ');
  if (host !== hostname() || !Number.isSafeInteger(Number(pid))) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

class JournalFileBackend implements LogBackend {
  private readonly lockPath: string;
  private offset = 0;
  private rest = '';
  private fd: number | null = null;
  private held = false;

  constructor(private readonly path: string) {
    this.lockPath = `${path}.lock`;
    closeSync(openSync(path, 'a'));
  }

  async readNew(): Promise<Op[]> {
    if (this.fd === null) this.fd = openSync(this.path, 'r');
    const size = fstatSync(this.fd).size;
    if (size <= this.offset) return [];
    const buf = Buffer.alloc(size - this.offset);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(this.fd, buf, got, buf.length - got, this.offset + got);
      if (n === 0) break;
      got += n;
    }
    this.offset += got;
    const text = this.rest + buf.subarray(0, got).toString('utf8');
    const lines = text.split('\n');
    this.rest = lines.pop()!; // an operation still being written has no newline yet
    return lines.filter((l) => l.length > 0).map(decodeOp);
  }

  async locked<T>(fn: () => Promise<T>): Promise<T> {
    const me = `${hostname()} ${process.pid} ${Math.random().toString(36).slice(2)}`;
    for (let attempt = 0; ; attempt++) {
      try {
        const fd = openSync(this.lockPath, 'wx');
        writeSync(fd, me);
        closeSync(fd);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        this.breakIfStale();
        await sleep(Math.min(50, 1 + attempt));
      }
    }
    this.held = true;
    try {
      return await fn();
    } finally {
      this.held = false;
      unlinkSync(this.lockPath);
    }
  }

  private breakIfStale(): void {
    let content: string;
    try {
      content = readFileSync(this.lockPath, 'utf8');
    } catch {
      return;
    }
    if (!holderIsDead(content)) return;
    const aside = `${this.lockPath}.stale.${process.pid}.${Math.random().toString(36).slice(2)}`;
    try {
      renameSync(this.lockPath, aside);
    } catch {
      return; // someone else broke it first
    }
    // If a live process took the lock between our read and the rename, give it back.
    if (readFileSync(aside, 'utf8') !== content && !existsSync(this.lockPath)) {
      try {
        linkSync(aside, this.lockPath);
      } catch {
        /* the lock is taken again: that holder goes on */
      }
    }
    unlinkSync(aside);
  }

  async append(o: Op): Promise<void> {
    if (!this.held) throw new Error('journalStorage: append outside the lock');
    const line = Buffer.from(`${encodeOp(o)}\n`, 'utf8');
    const fd = openSync(this.path, 'a');
    try {
      const before = fstatSync(fd).size;
      writeSync(fd, line);
      // The caller caught up under the lock and applies the operation itself: skip it when reading.
      if (before !== this.offset || this.rest !== '') throw new Error(`journalStorage: ${this.path} changed under the lock`);
      this.offset += line.length;
    } finally {
      closeSync(fd);
    }
  }

  async close(): Promise<void> {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/**
 * A storage in one append-only journal file that several processes on this machine (or on a shared
 * file system with working O_EXCL) use together, with no server.
 */
export function journalStorage(path: string, opts: HeartbeatOptions = {}): LogStorage {
  if (typeof path !== 'string' || path === '') throw new TypeError('journalStorage: path must be a non-empty string');
  return new LogStorage('journalStorage', new JournalFileBackend(resolve(path)), opts);
}
