// The PostgreSQL backend: the same operation log as the journal file, as rows of one table, appended
// in transactions that hold an advisory lock, so that appends (and their ids) are serialised and
// every reader sees a prefix of the log. Processes on many machines share a study through it. A
// worker that dies loses its connection and with it the lock; its trial fails by heartbeat.
import type { Pool, PoolClient } from 'pg';
import type { Op } from './model';
import { HeartbeatOptions, LogBackend, LogStorage, decodeOp, encodeOp } from './log-storage';

const TABLE = 'tapegrad_tune_journal';
const LOCK_KEY = 7400421; // pg_advisory_xact_lock key of the table's writers

function loadPg(): typeof import('pg') {
  try {
    return require('pg');
  } catch (e) {
    throw new Error(`postgresStorage: the 'pg' package is needed (an optional peer dependency): npm install pg (${(e as Error).message.split('\n')[0]})`);
  }
}

class PostgresBackend implements LogBackend {
  private readonly pool: Pool;
  private ready: Promise<void> | null = null;
  private lastId = 0;
  private client: PoolClient | null = null;

  constructor(url: string) {
    const pg = loadPg();
    this.pool = new pg.Pool({ connectionString: url, max: 4 });
    this.pool.on('error', () => {}); // an idle client's error (server restart) surfaces on the next query
  }

  private init(): Promise<void> {
    this.ready ??= (async () => {
      const c = await this.pool.connect();
      try {
        await c.query('BEGIN');
        await c.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
        await c.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (id bigserial PRIMARY KEY, op text NOT NULL)`);
        await c.query('COMMIT');
      } catch (e) {
        await c.query('ROLLBACK').catch(() => {});
        throw e;
      } finally {
        c.release();
      }
    })();
    return this.ready;
  }

  async readNew(): Promise<Op[]> {
    await this.init();
    const q = this.client ?? this.pool;
    const r = await q.query<{ id: string; op: string }>(`SELECT id, op FROM ${TABLE} WHERE id > $1 ORDER BY id`, [this.lastId]);
    if (r.rows.length) this.lastId = Math.max(this.lastId, Number(r.rows[r.rows.length - 1].id));
    return r.rows.map((row) => decodeOp(row.op));
  }

  async locked<T>(fn: () => Promise<T>): Promise<T> {
    await this.init();
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      await c.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
      this.client = c;
      const out = await fn();
      await c.query('COMMIT');
      return out;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      this.client = null;
      c.release();
    }
  }

  async append(o: Op): Promise<void> {
    if (!this.client) throw new Error('postgresStorage: append outside the lock');
    const r = await this.client.query<{ id: string }>(`INSERT INTO ${TABLE} (op) VALUES ($1) RETURNING id`, [encodeOp(o)]);
    // The caller caught up under the lock and applies the operation itself: skip it when reading.
    this.lastId = Number(r.rows[0].id);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * A storage in a PostgreSQL database (`postgresql://user:password@host:port/db`), shared by
 * processes on many machines; needs the `pg` package.
 */
export function postgresStorage(url: string, opts: HeartbeatOptions = {}): LogStorage {
  if (typeof url !== 'string' || !/^postgres(ql)?:\/\//.test(url)) throw new TypeError(`postgresStorage: url must be postgresql://..., got ${String(url)}`);
  return new LogStorage('postgresStorage', new PostgresBackend(url), opts);
}
