import { ProductChanged } from '@geminis/contracts';
import {
  ConflictError,
  ForbiddenError,
  newId,
  type AuthContext,
  type Database,
  type Outbox,
  type Tx,
  type SingleTenantScope,
} from '@geminis/service-kit';
import {
  deleteGroup,
  findGroup,
  insertGroup,
  listGroups,
  updateGroup,
  type ProductGroup,
} from '../store/groups.store';
import { addonsOf, optionsOf, replaceAddons, replaceOptions } from '../store/options.store';
import { pricesOf, replacePrices } from '../store/prices.store';
import { findProduct, insertProduct, listProducts, saveProduct, type Product } from '../store/products.store';
import { findReseller } from '../store/resellers.store';
import { isUniqueViolation } from '../store/sql';
import { isPlatform, readScope, writeScope } from './context';
import { groupNotFound, invalidField, invalidUnder, productNotFound } from './errors';
import {
  type AddonsBody,
  type OptionsBody,
  type PriceInput,
  type ProductInput,
  type ProductPatch,
} from './inputs';
import { MODULE_CONFIG, moduleFitsType, type ModuleName, type ProductTypeName } from './modules';
import { toPrices } from './prices';

type GroupFields = Pick<ProductGroup, 'name' | 'description' | 'sortOrder' | 'visible'>;

const duplicateName = (what: string) =>
  new ConflictError(
    `catalog.${what}_name_taken`,
    `a ${what.replace('_', ' ')} with this name already exists`,
    {
      fieldErrors: [{ field: 'name', message: 'already in use' }],
    },
  );

/** Module config parsed by its module's schema (defaults filled in); a failure names the field. */
function parseModuleConfig(module: ModuleName, type: ProductTypeName, config: Record<string, unknown>) {
  if (!moduleFitsType(module, type))
    throw invalidField(
      'catalog.invalid_product',
      'module',
      `module ${module} cannot provision a ${type} product`,
    );
  const parsed = MODULE_CONFIG[module].safeParse(config);
  if (!parsed.success) throw invalidUnder('catalog.invalid_module_config', 'moduleConfig', parsed.error);
  return parsed.data as Record<string, unknown>;
}

export function createProductsService(deps: { db: Database; outbox: Outbox }) {
  const { db, outbox } = deps;

  /** A reseller's own products need allowCustomProducts (known from identity's events). */
  async function assertMayOwnProducts(tx: Tx, scope: SingleTenantScope) {
    if (isPlatform(scope.tenantId)) return;
    const reseller = await findReseller(tx, scope, scope.tenantId);
    if (!reseller?.allowCustomProducts || reseller.status !== 'active')
      throw new ForbiddenError(
        'catalog.custom_products_not_allowed',
        'this reseller may not create or change its own products (allowCustomProducts is off)',
      );
  }

  async function changed(tx: Tx, p: Product, change: 'created' | 'updated' | 'retired') {
    await outbox.enqueue(tx, {
      type: ProductChanged.type,
      tenantId: p.tenantId,
      data: {
        productId: p.id,
        change,
        type: p.type,
        module: p.module,
        visibility: p.visibility,
        resellable: p.resellable,
      },
    });
  }

  /** The product a writer may change: in its write tenant, and (for resellers) with the permission. */
  async function writable(tx: Tx, scope: SingleTenantScope, id: string): Promise<Product> {
    const product = await findProduct(tx, scope, id);
    if (!product) throw productNotFound();
    await assertMayOwnProducts(tx, scope);
    return product;
  }

  return {
    async listGroups(auth: AuthContext, tenantId?: string) {
      return db.withTenant(readScope(auth, tenantId), (tx) => listGroups(tx, readScope(auth, tenantId)));
    },
    async getGroup(auth: AuthContext, id: string, tenantId?: string) {
      const scope = readScope(auth, tenantId);
      const group = await db.withTenant(scope, (tx) => findGroup(tx, scope, id));
      if (!group) throw groupNotFound();
      return group;
    },
    async createGroup(auth: AuthContext, input: GroupFields, tenantId?: string) {
      const scope = writeScope(auth, tenantId);
      const id = newId();
      try {
        return await db.withTenant(scope, async (tx) => {
          await insertGroup(tx, scope, { id, ...input });
          return (await findGroup(tx, scope, id))!;
        });
      } catch (err) {
        throw isUniqueViolation(err) ? duplicateName('group') : err;
      }
    },
    async updateGroup(auth: AuthContext, id: string, patch: Partial<GroupFields>, tenantId?: string) {
      const scope = writeScope(auth, tenantId);
      try {
        const group = await db.withTenant(scope, (tx) => updateGroup(tx, scope, id, patch));
        if (!group) throw groupNotFound();
        return group;
      } catch (err) {
        throw isUniqueViolation(err) ? duplicateName('group') : err;
      }
    },
    async deleteGroup(auth: AuthContext, id: string, tenantId?: string) {
      const scope = writeScope(auth, tenantId);
      const outcome = await db.withTenant(scope, (tx) => deleteGroup(tx, scope, id));
      if (outcome === 'missing') throw groupNotFound();
      if (outcome === 'in_use')
        throw new ConflictError('catalog.group_in_use', 'move or retire the products of this group first');
    },

    async listProducts(auth: AuthContext, tenantId?: string) {
      const scope = readScope(auth, tenantId);
      return db.readWithTenant(scope, (tx) => listProducts(tx, scope));
    },

    /** A product with its prices, options and add-ons (and, for the admin, its wholesale prices). */
    async getProduct(auth: AuthContext, id: string, tenantId?: string) {
      const scope = readScope(auth, tenantId);
      return db.withTenant(scope, async (tx) => {
        const product = await findProduct(tx, scope, id);
        if (!product) throw productNotFound();
        const own = { kind: 'tenant' as const, tenantId: product.tenantId };
        const options = await optionsOf(tx, own, [id]);
        const addons = await addonsOf(tx, own, [id]);
        return {
          product,
          prices: await pricesOf(tx, own, 'product', [id]),
          wholesale: auth.role === 'admin' ? await pricesOf(tx, own, 'wholesale', [id]) : undefined,
          options: await Promise.all(
            options.map(async (o) => ({
              ...o,
              prices: await pricesOf(
                tx,
                own,
                'option',
                o.choices.map((c) => c.id),
              ),
            })),
          ),
          addons,
          addonPrices: await pricesOf(
            tx,
            own,
            'addon',
            addons.map((a) => a.id),
          ),
        };
      });
    },

    async createProduct(auth: AuthContext, input: ProductInput, tenantId?: string): Promise<Product> {
      const scope = writeScope(auth, tenantId);
      if (input.resellable && !isPlatform(scope.tenantId))
        throw invalidField(
          'catalog.invalid_product',
          'resellable',
          'only platform products can be resellable',
        );
      const moduleConfig = parseModuleConfig(input.module, input.type, input.moduleConfig);
      try {
        return await db.withTenant(scope, async (tx) => {
          await assertMayOwnProducts(tx, scope);
          if (!(await findGroup(tx, scope, input.groupId)))
            throw invalidField('catalog.invalid_product', 'groupId', 'no such product group');
          const product = await insertProduct(tx, scope, {
            id: newId(),
            groupId: input.groupId,
            name: input.name,
            description: input.description,
            type: input.type,
            module: input.module,
            moduleConfig,
            visibility: input.visibility,
            resellable: input.resellable,
            sortOrder: input.sortOrder,
          });
          if (input.prices) await replacePrices(tx, scope, 'product', product.id, toPrices(input.prices));
          await changed(tx, product, 'created');
          return product;
        });
      } catch (err) {
        throw isUniqueViolation(err) ? duplicateName('product') : err;
      }
    },

    async updateProduct(
      auth: AuthContext,
      id: string,
      patch: ProductPatch,
      tenantId?: string,
    ): Promise<Product> {
      const scope = writeScope(auth, tenantId);
      try {
        return await db.withTenant(scope, async (tx) => {
          const current = await writable(tx, scope, id);
          const next: Product = { ...current, ...patch };
          if (next.resellable && !isPlatform(scope.tenantId))
            throw invalidField(
              'catalog.invalid_product',
              'resellable',
              'only platform products can be resellable',
            );
          if (patch.module !== undefined || patch.moduleConfig !== undefined || patch.type !== undefined)
            next.moduleConfig = parseModuleConfig(next.module, next.type, next.moduleConfig);
          if (patch.groupId && !(await findGroup(tx, scope, patch.groupId)))
            throw invalidField('catalog.invalid_product', 'groupId', 'no such product group');
          const saved = (await saveProduct(tx, scope, next))!;
          await changed(tx, saved, saved.visibility === 'retired' ? 'retired' : 'updated');
          return saved;
        });
      } catch (err) {
        throw isUniqueViolation(err) ? duplicateName('product') : err;
      }
    },

    async retireProduct(auth: AuthContext, id: string, tenantId?: string): Promise<Product> {
      const scope = writeScope(auth, tenantId);
      return db.withTenant(scope, async (tx) => {
        const current = await writable(tx, scope, id);
        const saved = (await saveProduct(tx, scope, { ...current, visibility: 'retired' }))!;
        await changed(tx, saved, 'retired');
        return saved;
      });
    },

    async setPrices(auth: AuthContext, id: string, prices: PriceInput[], tenantId?: string) {
      const scope = writeScope(auth, tenantId);
      return db.withTenant(scope, async (tx) => {
        await writable(tx, scope, id);
        await replacePrices(tx, scope, 'product', id, toPrices(prices));
        return pricesOf(tx, scope, 'product', [id]);
      });
    },

    /** What resellers pay for a resellable platform product (admin only, platform products only). */
    async setWholesale(auth: AuthContext, id: string, prices: PriceInput[]) {
      const scope = writeScope(auth);
      return db.withTenant(scope, async (tx) => {
        const product = await findProduct(tx, scope, id);
        if (!product) throw productNotFound();
        if (!product.resellable)
          throw invalidField(
            'catalog.not_resellable',
            'prices',
            'only resellable products have wholesale prices',
          );
        await replacePrices(tx, scope, 'wholesale', id, toPrices(prices));
        return pricesOf(tx, scope, 'wholesale', [id]);
      });
    },

    async setOptions(auth: AuthContext, id: string, body: OptionsBody, tenantId?: string) {
      const scope = writeScope(auth, tenantId);
      return db.withTenant(scope, async (tx) => {
        await writable(tx, scope, id);
        const options = body.options.map((o) => ({
          id: newId(),
          productId: id,
          name: o.name,
          kind: o.kind,
          minQuantity: o.minQuantity,
          maxQuantity: o.maxQuantity,
          sortOrder: o.sortOrder,
          choices: o.choices.map((c) => ({
            id: newId(),
            label: c.label,
            sortOrder: c.sortOrder,
            prices: c.prices,
          })),
        }));
        try {
          await replaceOptions(tx, scope, id, options);
        } catch (err) {
          if (isUniqueViolation(err))
            throw invalidField('catalog.invalid_options', 'options', 'option names must be unique');
          throw err;
        }
        for (const o of options)
          for (const c of o.choices) await replacePrices(tx, scope, 'option', c.id, toPrices(c.prices));
        return optionsOf(tx, scope, [id]);
      });
    },

    async setAddons(auth: AuthContext, id: string, body: AddonsBody, tenantId?: string) {
      const scope = writeScope(auth, tenantId);
      return db.withTenant(scope, async (tx) => {
        await writable(tx, scope, id);
        const addons = body.addons.map((a) => ({
          id: newId(),
          productId: id,
          name: a.name,
          description: a.description,
          prices: a.prices,
        }));
        try {
          await replaceAddons(tx, scope, id, addons);
        } catch (err) {
          if (isUniqueViolation(err))
            throw invalidField('catalog.invalid_addons', 'addons', 'add-on names must be unique');
          throw err;
        }
        for (const a of addons) await replacePrices(tx, scope, 'addon', a.id, toPrices(a.prices));
        return addonsOf(tx, scope, [id]);
      });
    },
  };
}

export type ProductsService = ReturnType<typeof createProductsService>;
