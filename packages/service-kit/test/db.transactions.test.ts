import { sql } from 'drizzle-orm';
import { Client } from 'pg';
import { migrate, openPostgres, rows, type Database } from '../src/db';
import { inlineParameters, MAX_INLINED_STRING } from '../src/db/postgres';
import { createTestDatabase, type TestDatabase } from '../src/testing/postgres';
import { tenantScope } from '../src/tenant';
import { allNotes, insertNote, NOTES_MIGRATIONS, TENANT_A, TENANT_B } from './fixtures/notes';

describe('inlineParameters (a transaction first statement sent with its begin)', () => {
  it('quotes every value as a literal, doubling quotes and escaping backslashes', () => {
    expect(inlineParameters('select $1, $2, $3, $4', ["it's", 'a\\b', 7, true])).toBe(
      `select 'it''s',  E'a\\\\b', '7', 'true'`,
    );
  });

  it('sends null and undefined as NULL', () => {
    expect(inlineParameters('select $1, $2', [null, undefined])).toBe('select NULL, NULL');
  });

  it('tells $1 from $10', () => {
    const values = Array.from({ length: 10 }, (_, i) => `v${i + 1}`);
    expect(inlineParameters('select $10, $1', values)).toBe(`select 'v10', 'v1'`);
  });

  it('leaves placeholders inside quoted text, quoted names and comments alone', () => {
    expect(
      inlineParameters(`select '$1', "a$1" -- $1\n, $1 /* $1 */ from t where x = 'it''s $1'`, ['v']),
    ).toBe(`select '$1', "a$1" -- $1\n, 'v' /* $1 */ from t where x = 'it''s $1'`);
  });

  it('gives up on what it does not read: dollar quoting, E strings, other values, a missing value', () => {
    expect(inlineParameters('select $tag$ $1 $tag$, $1', ['v'])).toBeUndefined();
    expect(inlineParameters(`select E'\\' $1', $1`, ['v'])).toBeUndefined();
    expect(inlineParameters('select $1', [new Date(0)])).toBeUndefined();
    expect(inlineParameters('select $1', [{ a: 1 }])).toBeUndefined();
    expect(inlineParameters('select $1', [Buffer.from('x')])).toBeUndefined();
    expect(inlineParameters('select $2', ['v'])).toBeUndefined();
    expect(inlineParameters('select $1', ['a\u0000b'])).toBeUndefined();
    expect(inlineParameters('select $1', ['x'.repeat(MAX_INLINED_STRING)])).toBe(
      `select '${'x'.repeat(MAX_INLINED_STRING)}'`,
    );
    expect(inlineParameters('select $1', ['x'.repeat(MAX_INLINED_STRING + 1)])).toBeUndefined();
  });
});

describe('PostgreSQL transactions (begin sent with the first statement)', () => {
  let testDb: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    // One connection, so every transaction reuses the same pooled connection.
    db = openPostgres({ url: testDb.url, max: 1 });
    await migrate(db, [NOTES_MIGRATIONS]);
  });

  afterAll(async () => {
    await db.close();
    await testDb.drop();
  });

  it('stores text with quotes, backslashes, placeholders and comment marks exactly as sent', async () => {
    const body = `it's a \\ 'test' $1 -- not a comment /* nor this */ $$ E'x'`;
    await db.withTenant(tenantScope(TENANT_A), (tx) => insertNote(tx, TENANT_A, body));
    const seen = await db.withTenant(tenantScope(TENANT_A), allNotes);
    expect(seen.map((n) => n.body)).toContain(body);
  });

  it("applies the tenant to the transaction's first statement and to the ones after it", async () => {
    await db.withTenant(tenantScope(TENANT_B), (tx) => insertNote(tx, TENANT_B, 'b-only'));
    const [first, second] = await db.withTenant(tenantScope(TENANT_B), async (tx) => [
      await allNotes(tx),
      await allNotes(tx),
    ]);
    expect(first?.map((n) => n.body)).toEqual(['b-only']);
    expect(second).toEqual(first);
  });

  it('runs statements sent together inside the transaction: one failing rolls back the others', async () => {
    await expect(
      db.withTenant(tenantScope(TENANT_A), (tx) =>
        Promise.all([insertNote(tx, TENANT_A, 'sent together'), tx.execute(sql`select 1 / 0`)]),
      ),
    ).rejects.toThrow();
    const seen = await db.withTenant(tenantScope(TENANT_A), allNotes);
    expect(seen.map((n) => n.body)).not.toContain('sent together');
  });

  it('keeps a transaction in one transaction, also on a connection whose last one sent nothing', async () => {
    expect(await db.withTenant(tenantScope(TENANT_A), async () => 'nothing sent')).toBe('nothing sent');
    // max 1: the same connection. Outside a transaction block each statement would get its own id.
    const ids = await db.transaction(async (tx) => {
      const [a] = await rows<{ id: string }>(tx, sql`select txid_current()::text as id`);
      const [b] = await rows<{ id: string }>(tx, sql`select txid_current()::text as id`);
      return [a?.id, b?.id];
    });
    expect(ids[0]).toBe(ids[1]);
    const [setting] = await db.transaction((tx) =>
      rows<{ tenant: string | null }>(tx, sql`select current_setting('app.tenant_id', true) as tenant`),
    );
    expect(setting?.tenant ?? '').toBe('');
  });

  describe('readWithTenant (one read statement: begin, tenant, statement and commit in one query)', () => {
    it("reads the tenant's rows in one round trip and commits", async () => {
      await db.withTenant(tenantScope(TENANT_B), (tx) => insertNote(tx, TENANT_B, 'read me'));
      const query = jest.spyOn(Client.prototype, 'query');
      let seen: Awaited<ReturnType<typeof allNotes>>;
      try {
        seen = await db.readWithTenant(tenantScope(TENANT_B), allNotes);
        // the read sent one query
        expect(query).toHaveBeenCalledTimes(1);
        expect(String((query.mock.calls[0]![0] as unknown as { text: string }).text)).toMatch(
          /^begin read only; .*; commit$/s,
        );
      } finally {
        query.mockRestore();
      }
      expect(seen.map((n) => n.body)).toContain('read me');
      expect(seen.every((n) => n.tenant_id === TENANT_B)).toBe(true);
      // max 1: the same connection, not left inside the read's transaction nor with its tenant
      const [after] = await db.transaction((tx) =>
        rows<{ tenant: string | null }>(tx, sql`select current_setting('app.tenant_id', true) as tenant`),
      );
      expect(after?.tenant ?? '').toBe('');
    });

    it('refuses a second statement (it would run after the commit) and a write', async () => {
      const refused: unknown = await db
        .readWithTenant(tenantScope(TENANT_A), async (tx) => {
          await allNotes(tx);
          return insertNote(tx, TENANT_A, 'after the commit');
        })
        .catch((err: unknown) => err);
      // drizzle wraps the refusal as the statement's failure
      const why = refused as { message?: string; cause?: { message?: string } };
      expect(`${why.message} ${why.cause?.message}`).toMatch(/exactly one statement/);
      await expect(
        db.readWithTenant(tenantScope(TENANT_A), (tx) => insertNote(tx, TENANT_A, 'in a read')),
      ).rejects.toThrow();
      const seen = await db.withTenant(tenantScope(TENANT_A), allNotes);
      expect(seen.map((n) => n.body)).not.toContain('after the commit');
      expect(seen.map((n) => n.body)).not.toContain('in a read');
    });

    it('rolls back a failed read: the connection serves the next transaction', async () => {
      await expect(
        db.readWithTenant(tenantScope(TENANT_A), (tx) => tx.execute(sql`select 1 / 0`)),
      ).rejects.toThrow();
      const ids = await db.transaction(async (tx) => {
        const [a] = await rows<{ id: string }>(tx, sql`select txid_current()::text as id`);
        const [b] = await rows<{ id: string }>(tx, sql`select txid_current()::text as id`);
        return [a?.id, b?.id];
      });
      expect(ids[0]).toBe(ids[1]);
    });

    it('reads through a statement it cannot inline (sent after begin, then commit)', async () => {
      const seen = await db.readWithTenant(tenantScope(TENANT_B), (tx) =>
        rows<{ body: string }>(
          tx,
          sql`select body from notes where body = ${'x'.repeat(MAX_INLINED_STRING + 1)}`,
        ),
      );
      expect(seen).toEqual([]);
      const again = await db.readWithTenant(tenantScope(TENANT_B), allNotes);
      expect(again.map((n) => n.body)).toContain('read me');
    });
  });
});
