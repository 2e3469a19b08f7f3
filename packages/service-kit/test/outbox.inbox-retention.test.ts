import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { createInMemoryBus } from '../src/bus';
import { migrate, openPostgres, rows, type Database } from '../src/db';
import { createEventConsumer, uuidV7Floor } from '../src/outbox';
import { createTestDatabase, type TestDatabase } from '../src/testing/postgres';
import { recordEffect, NoteAdded, testRegistry } from './fixtures/events';
import { NOTES_MIGRATIONS } from './fixtures/notes';

const DAY = 24 * 3600 * 1000;

/** A UUIDv7 minted at `ms` (random bits after the time, as any generator would put there). */
function uuidV7At(ms: number): string {
  const t = ms.toString(16).padStart(12, '0');
  const r = randomBytes(10).toString('hex');
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${r.slice(0, 3)}-${((parseInt(r[3]!, 16) & 3) | 8).toString(16)}${r.slice(4, 7)}-${r.slice(7, 19)}`;
}

// The inbox keeps the ids of applied events so a redelivery is a no-op; it must not keep them forever.
describe('inbox retention', () => {
  let testDb: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = openPostgres({ url: testDb.url, max: 4 });
    await migrate(db, [NOTES_MIGRATIONS]);
  });
  afterAll(async () => {
    await db.close();
    await testDb.drop();
  });

  const consumerNamed = (consumer: string, batch?: number) =>
    createEventConsumer({
      db,
      bus: createInMemoryBus(),
      registry: testRegistry,
      consumer,
      handlers: { [NoteAdded.type]: recordEffect },
      inboxRetention: { retentionMs: 7 * DAY, ...(batch ? { batch } : {}) },
    });

  async function insert(consumer: string, eventId: string, processedAt: number) {
    await db.transaction((tx) =>
      tx.execute(sql`insert into inbox (consumer, event_id, event_type, processed_at)
                     values (${consumer}, ${eventId}, ${NoteAdded.type}, to_timestamp(${processedAt / 1000}))`),
    );
  }
  const idsOf = async (consumer: string) =>
    (
      await db.transaction((tx) =>
        rows<{ event_id: string }>(
          tx,
          sql`select event_id from inbox where consumer = ${consumer} order by event_id`,
        ),
      )
    ).map((r) => r.event_id);

  it('deletes only its own rows processed before the window, however many batches that takes', async () => {
    const now = Date.now();
    const old = Array.from({ length: 25 }, (_, i) => uuidV7At(now - 30 * DAY + i));
    const mintedLongAgoAppliedNow = uuidV7At(now - 30 * DAY);
    const recent = uuidV7At(now - DAY);
    for (const id of old) await insert('pruned', id, now - 20 * DAY);
    await insert('pruned', mintedLongAgoAppliedNow, now - DAY);
    await insert('pruned', recent, now - DAY);
    await insert('other', old[0]!, now - 20 * DAY);

    // Batches of 10: three statements, the last one short.
    expect(await consumerNamed('pruned', 10).pruneInbox(now)).toBe(25);
    expect(await idsOf('pruned')).toEqual([mintedLongAgoAppliedNow, recent].sort());
    expect(await idsOf('other')).toEqual([old[0]]);
    expect(await consumerNamed('pruned').pruneInbox(now)).toBe(0);
  });

  it('keeps what is still inside the window, up to its edge', async () => {
    const now = Date.now();
    const inside = uuidV7At(now - 7 * DAY + 60_000);
    await insert('edge', inside, now - 7 * DAY + 60_000);
    expect(await consumerNamed('edge').pruneInbox(now)).toBe(0);
    expect(await idsOf('edge')).toEqual([inside]);
    // A day later it is outside.
    expect(await consumerNamed('edge').pruneInbox(now + DAY)).toBe(1);
    expect(await idsOf('edge')).toEqual([]);
  });

  it('floors a time to the smallest UUIDv7 of its millisecond', () => {
    const ms = 1_764_540_000_123;
    const floor = uuidV7Floor(ms);
    expect(floor).toBe('019ad6c7-a77b-0000-0000-000000000000');
    expect(uuidV7At(ms - 1) < floor).toBe(true);
    expect(uuidV7At(ms) >= floor).toBe(true);
  });
});
