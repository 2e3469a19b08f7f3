/**
 * The floor of bench/gateway's catalog list: node:http + pg, no framework, the same SQL catalog's
 * `GET /v1/products` runs in the same transaction shape — the tenant set transaction-locally (the RLS
 * setting), the query, commit — answering the same JSON body (camelCase fields, ISO dates). The tenant
 * is read from the bearer token's `tid` claim without checking its signature: a floor does no work it
 * can avoid (catalog verifies the token).
 *
 * The way to the database is chosen per request by the path, so bench/gateway sweeps them in one process
 * and takes the best as the floor:
 *   /<shape>/<pool size>   shape: `4rt`  begin | set_config | select | commit (four round trips)
 *                                 `3rt`  `begin; select set_config(…)` as one simple query | select | commit
 *                                 `2rt`  `begin; select set_config(…); select …` (the tenant inlined) as one
 *                                        simple query | commit — the shape of the kit's tenant transactions
 *                                 `1rt`  the whole transaction as one simple-protocol script (the tenant
 *                                        and the query inlined): one round trip
 *
 *   tsx bench/gateway/bare-sql.ts <port> <database url>
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Pool } from 'pg';

const port = Number(process.argv[2]);
const url = process.argv[3];
if (!url) throw new Error('usage: bare-sql.ts <port> <database url>');

const SELECT = 'select * from products where tenant_id = $1 order by tenant_id, sort_order, name';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface ProductRow {
  id: string;
  tenant_id: string;
  group_id: string;
  name: string;
  description: string;
  type: string;
  module: string;
  module_config: Record<string, unknown>;
  visibility: string;
  resellable: boolean;
  sort_order: number;
  created_at: Date;
  updated_at: Date;
}

const view = (r: ProductRow) => ({
  id: r.id,
  tenantId: r.tenant_id,
  groupId: r.group_id,
  name: r.name,
  description: r.description,
  type: r.type,
  module: r.module,
  moduleConfig: r.module_config,
  visibility: r.visibility,
  resellable: r.resellable,
  sortOrder: r.sort_order,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

/** One pool per size, opened when first asked for; the previous size's pool is closed then. */
let current: { size: number; pool: Pool } | undefined;
function poolOf(size: number): Pool {
  if (current?.size === size) return current.pool;
  void current?.pool.end();
  const pool = new Pool({ connectionString: url, max: size, application_name: 'bench-bare-sql' });
  pool.on('error', () => undefined);
  current = { size, pool };
  return pool;
}

function tenantOf(req: IncomingMessage): string | undefined {
  const payload = req.headers.authorization?.split('.')[1];
  if (!payload) return undefined;
  const tid = (JSON.parse(Buffer.from(payload, 'base64url').toString()) as { tid?: unknown }).tid;
  return typeof tid === 'string' && UUID.test(tid) ? tid : undefined;
}

async function list(shape: string, pool: Pool, tenantId: string): Promise<ProductRow[]> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    if (shape === '1rt') {
      // tenantId matched UUID above: safe to inline.
      const results = (await client.query(
        `begin; select set_config('app.tenant_id', '${tenantId}', true); ` +
          `${SELECT.replace('$1', `'${tenantId}'`)}; commit`,
      )) as unknown as { rows: ProductRow[] }[];
      return results[2]!.rows;
    }
    if (shape === '2rt') {
      const results = (await client.query(
        `begin; select set_config('app.tenant_id', '${tenantId}', true); ` +
          `${SELECT.replace('$1', `'${tenantId}'`)}`,
      )) as unknown as { rows: ProductRow[] }[];
      await client.query('commit');
      return results[2]!.rows;
    }
    if (shape === '3rt') {
      await client.query(`begin; select set_config('app.tenant_id', '${tenantId}', true)`);
    } else {
      await client.query('begin');
      await client.query(`select set_config('app.tenant_id', $1, true)`, [tenantId]);
    }
    try {
      const { rows } = await client.query<ProductRow>(SELECT, [tenantId]);
      await client.query('commit');
      return rows;
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    }
  } catch (err) {
    broken = err as Error;
    throw err;
  } finally {
    client.release(broken);
  }
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === '/readyz') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"ready"}');
    return;
  }
  const [, shape = '3rt', size = '8'] = (req.url ?? '').split('/');
  const tenantId = tenantOf(req);
  if (!tenantId) {
    res.writeHead(401).end();
    return;
  }
  list(shape, poolOf(Number(size)), tenantId).then(
    (rows) => {
      const body = JSON.stringify({ items: rows.map(view) });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    },
    (err: Error) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(err.message);
    },
  );
}

createServer(handle).listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  void (current?.pool.end() ?? Promise.resolve()).finally(() => process.exit(0));
});
