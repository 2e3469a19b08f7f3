import {
  AddonList,
  ConfigOptionList,
  PriceViewList,
  ProductDetailView,
  ProductGroupList,
  ProductGroupView,
  ProductList,
  ProductView,
} from '@geminis/contracts';
import { createRoutes } from '@geminis/service-kit';
import { groupNotFound, productNotFound } from '../domain/errors';
import {
  AddonsBody,
  GroupInput,
  GroupPatch,
  OptionsBody,
  PricesBody,
  ProductInput,
  ProductPatch,
} from '../domain/inputs';
import { type ProductsService } from '../domain/products.service';
import { bodyOf, idOf, TenantQuery, tenantOf } from './request';
import { priceView } from './views';

const STAFF = { roles: ['admin', 'reseller'] as const };
const ADMIN = { roles: ['admin'] as const };

/** Product groups, products, their prices, wholesale prices, options and add-ons (staff only). */
export function productsRoutes(deps: { products: ProductsService }) {
  const { products } = deps;
  const routes = createRoutes();

  routes.get(
    '/v1/product-groups',
    STAFF,
    { summary: 'List product groups', query: TenantQuery, responses: { 200: ProductGroupList } },
    async (req, res, auth) => {
      res.json({ items: await products.listGroups(auth, tenantOf(req)) });
    },
  );
  routes.post(
    '/v1/product-groups',
    STAFF,
    {
      summary: 'Create a product group',
      query: TenantQuery,
      body: GroupInput,
      responses: { 201: ProductGroupView },
    },
    async (req, res, auth) => {
      const input = bodyOf(req, GroupInput);
      res.status(201).json(await products.createGroup(auth, input, tenantOf(req)));
    },
  );
  routes.get(
    '/v1/product-groups/:id',
    STAFF,
    { summary: 'A product group', query: TenantQuery, responses: { 200: ProductGroupView } },
    async (req, res, auth) => {
      res.json(await products.getGroup(auth, idOf(req, groupNotFound), tenantOf(req)));
    },
  );
  routes.patch(
    '/v1/product-groups/:id',
    STAFF,
    {
      summary: 'Change a product group',
      query: TenantQuery,
      body: GroupPatch,
      responses: { 200: ProductGroupView },
    },
    async (req, res, auth) => {
      const id = idOf(req, groupNotFound);
      res.json(await products.updateGroup(auth, id, bodyOf(req, GroupPatch), tenantOf(req)));
    },
  );
  routes.delete(
    '/v1/product-groups/:id',
    STAFF,
    { summary: 'Delete an empty product group', query: TenantQuery, responses: { 204: null } },
    async (req, res, auth) => {
      await products.deleteGroup(auth, idOf(req, groupNotFound), tenantOf(req));
      res.status(204).end();
    },
  );

  routes.get(
    '/v1/products',
    STAFF,
    { summary: 'List products', query: TenantQuery, responses: { 200: ProductList } },
    async (req, res, auth) => {
      res.json({ items: await products.listProducts(auth, tenantOf(req)) });
    },
  );
  routes.post(
    '/v1/products',
    STAFF,
    { summary: 'Create a product', query: TenantQuery, body: ProductInput, responses: { 201: ProductView } },
    async (req, res, auth) => {
      const input = bodyOf(req, ProductInput);
      res.status(201).json(await products.createProduct(auth, input, tenantOf(req)));
    },
  );
  routes.get(
    '/v1/products/:id',
    STAFF,
    {
      summary: 'A product with its prices, options and add-ons',
      query: TenantQuery,
      responses: { 200: ProductDetailView },
    },
    async (req, res, auth) => {
      const view = await products.getProduct(auth, idOf(req, productNotFound), tenantOf(req));
      res.json({
        ...view.product,
        prices: view.prices.map(priceView),
        ...(view.wholesale ? { wholesale: view.wholesale.map(priceView) } : {}),
        options: view.options.map(({ prices, ...o }) => ({
          ...o,
          choices: o.choices.map((c) => ({
            ...c,
            prices: prices.filter((p) => p.ownerId === c.id).map(priceView),
          })),
        })),
        addons: view.addons.map((a) => ({
          ...a,
          prices: view.addonPrices.filter((p) => p.ownerId === a.id).map(priceView),
        })),
      });
    },
  );
  routes.patch(
    '/v1/products/:id',
    STAFF,
    { summary: 'Change a product', query: TenantQuery, body: ProductPatch, responses: { 200: ProductView } },
    async (req, res, auth) => {
      const id = idOf(req, productNotFound);
      res.json(await products.updateProduct(auth, id, bodyOf(req, ProductPatch), tenantOf(req)));
    },
  );
  routes.post(
    '/v1/products/:id/retire',
    STAFF,
    { summary: 'Retire a product', query: TenantQuery, responses: { 200: ProductView } },
    async (req, res, auth) => {
      res.json(await products.retireProduct(auth, idOf(req, productNotFound), tenantOf(req)));
    },
  );
  routes.put(
    '/v1/products/:id/prices',
    STAFF,
    {
      summary: 'Replace a product’s prices',
      query: TenantQuery,
      body: PricesBody,
      responses: { 200: PriceViewList },
    },
    async (req, res, auth) => {
      const id = idOf(req, productNotFound);
      const { prices } = bodyOf(req, PricesBody);
      res.json({ items: (await products.setPrices(auth, id, prices, tenantOf(req))).map(priceView) });
    },
  );
  routes.put(
    '/v1/products/:id/wholesale-prices',
    ADMIN,
    { summary: 'Replace a product’s wholesale prices', body: PricesBody, responses: { 200: PriceViewList } },
    async (req, res, auth) => {
      const id = idOf(req, productNotFound);
      const { prices } = bodyOf(req, PricesBody);
      res.json({ items: (await products.setWholesale(auth, id, prices)).map(priceView) });
    },
  );
  routes.put(
    '/v1/products/:id/options',
    STAFF,
    {
      summary: 'Replace a product’s configurable options',
      query: TenantQuery,
      body: OptionsBody,
      responses: { 200: ConfigOptionList },
    },
    async (req, res, auth) => {
      const id = idOf(req, productNotFound);
      res.json({ items: await products.setOptions(auth, id, bodyOf(req, OptionsBody), tenantOf(req)) });
    },
  );
  routes.put(
    '/v1/products/:id/addons',
    STAFF,
    {
      summary: 'Replace a product’s add-ons',
      query: TenantQuery,
      body: AddonsBody,
      responses: { 200: AddonList },
    },
    async (req, res, auth) => {
      const id = idOf(req, productNotFound);
      res.json({ items: await products.setAddons(auth, id, bodyOf(req, AddonsBody), tenantOf(req)) });
    },
  );
  return routes;
}
