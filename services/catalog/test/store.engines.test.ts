import {
  migrate,
  newId,
  openEmbeddedPostgres,
  openPostgres,
  tenantScope,
  type Database,
} from '@geminis/service-kit';
import { createTestDatabase } from '@geminis/service-kit/src/testing/postgres';
import { CATALOG_MIGRATIONS } from '../src/service';
import { deleteGroup, insertGroup } from '../src/store/groups.store';
import { insertProduct } from '../src/store/products.store';

/**
 * The stores run on two engines — PostgreSQL in production, PGlite in `npm start` — whose drivers return
 * some values differently (count(*) as a string on one, a number on the other). The same store calls
 * must give the same answers on both.
 */
describe.each([
  [
    'PostgreSQL',
    async () => {
      const testDb = await createTestDatabase('gm_catalog_engines');
      const db = openPostgres({ url: testDb.url, max: 2 });
      return { db, close: async () => (await db.close(), await testDb.drop()) };
    },
  ],
  [
    'PGlite (embedded)',
    async () => {
      const engine = await openEmbeddedPostgres({});
      return { db: await engine.database('catalog'), close: () => engine.close() };
    },
  ],
])('catalog groups store on %s', (_engine, open) => {
  let db: Database;
  let close: () => Promise<void>;
  const tenant = newId();
  const scope = tenantScope(tenant);
  const group = (id = newId()) =>
    db.withTenant(scope, (tx) =>
      insertGroup(tx, scope, { id, name: `G ${id}`, description: '', sortOrder: 0, visible: true }).then(
        () => id,
      ),
    );

  beforeAll(async () => {
    ({ db, close } = await open());
    await migrate(db, [CATALOG_MIGRATIONS]);
  }, 120_000);
  afterAll(() => close());

  it('deletes an empty group, says "missing" for an unknown id, and "in_use" only for a group with products', async () => {
    const empty = await group();
    const used = await group();
    await db.withTenant(scope, (tx) =>
      insertProduct(tx, scope, {
        id: newId(),
        groupId: used,
        name: 'P',
        description: '',
        type: 'other',
        module: 'none',
        moduleConfig: {},
        visibility: 'visible',
        resellable: false,
        sortOrder: 0,
      }),
    );
    const del = (id: string) => db.withTenant(scope, (tx) => deleteGroup(tx, scope, id));
    expect(await del(newId())).toBe('missing');
    expect(await del(used)).toBe('in_use');
    expect(await del(empty)).toBe('deleted');
    expect(await del(empty)).toBe('missing');
  });
});
