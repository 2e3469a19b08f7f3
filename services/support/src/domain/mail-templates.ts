/**
 * The notification templates: what each says by default in English and Spanish, and which variables it
 * may use. Rendering is deliberately logic-less — `{{name}}` and nothing else — over a fixed list of
 * variables per template: a tenant's override can place values, never run code or read anything else.
 * In HTML every value is escaped; in the subject line breaks are removed.
 */

export const LANGUAGES = ['en', 'es'] as const;
export type MailLanguage = (typeof LANGUAGES)[number];

/** Every message has the brand's variables besides its own. */
export const BRAND_VARIABLES = ['brandName', 'logoUrl', 'supportEmail'] as const;

interface TemplateText {
  subject: string;
  html: string;
  text: string;
}

export interface TemplateDefinition {
  /** What the message is about (the staff's list). */
  description: string;
  variables: readonly string[];
  /** Values the preview renders with. */
  sample: Record<string, string>;
  defaults: Record<MailLanguage, TemplateText>;
}

const html = (body: string) =>
  `<div style="font-family:sans-serif"><p><img src="{{logoUrl}}" alt="{{brandName}}" height="40"></p>${body}` +
  `<p style="color:#666">{{brandName}} · {{supportEmail}}</p></div>`;

export const TEMPLATES = {
  welcome: {
    description: 'A client account was created',
    variables: ['clientName'],
    sample: { clientName: 'Ada Lovelace' },
    defaults: {
      en: {
        subject: 'Welcome to {{brandName}}',
        html: html('<p>Hello {{clientName}},</p><p>your {{brandName}} account is ready.</p>'),
        text: 'Hello {{clientName}},\n\nyour {{brandName}} account is ready.\n\n{{brandName}}',
      },
      es: {
        subject: 'Bienvenido a {{brandName}}',
        html: html('<p>Hola {{clientName}},</p><p>tu cuenta de {{brandName}} está lista.</p>'),
        text: 'Hola {{clientName}},\n\ntu cuenta de {{brandName}} está lista.\n\n{{brandName}}',
      },
    },
  },
  invoice_issued: {
    description: 'An invoice was issued (order or renewal)',
    variables: ['clientName', 'invoiceNumber', 'total', 'dueDate'],
    sample: {
      clientName: 'Ada Lovelace',
      invoiceNumber: 'INV-2026-000123',
      total: '€12.34',
      dueDate: '2026-12-01',
    },
    defaults: {
      en: {
        subject: 'Invoice {{invoiceNumber}} from {{brandName}}',
        html: html(
          '<p>Hello {{clientName}},</p><p>invoice {{invoiceNumber}} for {{total}} is due on {{dueDate}}.</p>',
        ),
        text: 'Hello {{clientName}},\n\ninvoice {{invoiceNumber}} for {{total}} is due on {{dueDate}}.\n\n{{brandName}}',
      },
      es: {
        subject: 'Factura {{invoiceNumber}} de {{brandName}}',
        html: html(
          '<p>Hola {{clientName}},</p><p>la factura {{invoiceNumber}} de {{total}} vence el {{dueDate}}.</p>',
        ),
        text: 'Hola {{clientName}},\n\nla factura {{invoiceNumber}} de {{total}} vence el {{dueDate}}.\n\n{{brandName}}',
      },
    },
  },
  invoice_paid: {
    description: 'An invoice was paid in full',
    variables: ['clientName', 'invoiceNumber', 'total'],
    sample: { clientName: 'Ada Lovelace', invoiceNumber: 'INV-2026-000123', total: '€12.34' },
    defaults: {
      en: {
        subject: 'Payment received for {{invoiceNumber}}',
        html: html(
          '<p>Hello {{clientName}},</p><p>we received {{total}} for invoice {{invoiceNumber}}. Thank you.</p>',
        ),
        text: 'Hello {{clientName}},\n\nwe received {{total}} for invoice {{invoiceNumber}}. Thank you.\n\n{{brandName}}',
      },
      es: {
        subject: 'Pago recibido de {{invoiceNumber}}',
        html: html(
          '<p>Hola {{clientName}},</p><p>recibimos {{total}} por la factura {{invoiceNumber}}. Gracias.</p>',
        ),
        text: 'Hola {{clientName}},\n\nrecibimos {{total}} por la factura {{invoiceNumber}}. Gracias.\n\n{{brandName}}',
      },
    },
  },
  service_provisioned: {
    description:
      'A service is ready on its server (its panel login is fetched from provisioning when the mail is sent, never stored)',
    variables: ['clientName', 'username', 'password', 'host'],
    sample: {
      clientName: 'Ada Lovelace',
      username: 'ada',
      password: 'sample-Passw0rd',
      host: 'server1.example.com',
    },
    defaults: {
      en: {
        subject: 'Your service is ready',
        html: html(
          '<p>Hello {{clientName}},</p><p>your service is ready. Your control panel login:</p><p>Server: {{host}}<br>User: {{username}}<br>Password: {{password}}</p><p>Change the password after your first login.</p>',
        ),
        text: 'Hello {{clientName}},\n\nyour service is ready. Your control panel login:\n\nServer: {{host}}\nUser: {{username}}\nPassword: {{password}}\n\nChange the password after your first login.\n\n{{brandName}}',
      },
      es: {
        subject: 'Tu servicio está listo',
        html: html(
          '<p>Hola {{clientName}},</p><p>tu servicio está listo. Tus datos de acceso al panel de control:</p><p>Servidor: {{host}}<br>Usuario: {{username}}<br>Contraseña: {{password}}</p><p>Cambia la contraseña tras el primer acceso.</p>',
        ),
        text: 'Hola {{clientName}},\n\ntu servicio está listo. Tus datos de acceso al panel de control:\n\nServidor: {{host}}\nUsuario: {{username}}\nContraseña: {{password}}\n\nCambia la contraseña tras el primer acceso.\n\n{{brandName}}',
      },
    },
  },
  order_placed: {
    description: 'A client placed an order (what was ordered and its total)',
    variables: ['clientName', 'orderId', 'items', 'total'],
    sample: {
      clientName: 'Ada Lovelace',
      orderId: '01JD5Z6Q0000000000000000AB',
      items: '1 × Starter Hosting (monthly)\nexample.com: registration, 1 year',
      total: '€12.34',
    },
    defaults: {
      en: {
        subject: 'Your {{brandName}} order',
        html: html(
          '<p>Hello {{clientName}},</p><p>thank you for your order {{orderId}}:</p><blockquote style="white-space:pre-wrap">{{items}}</blockquote><p>Total: {{total}}. Its invoice follows in a separate email.</p>',
        ),
        text: 'Hello {{clientName}},\n\nthank you for your order {{orderId}}:\n\n{{items}}\n\nTotal: {{total}}. Its invoice follows in a separate email.\n\n{{brandName}}',
      },
      es: {
        subject: 'Tu pedido en {{brandName}}',
        html: html(
          '<p>Hola {{clientName}},</p><p>gracias por tu pedido {{orderId}}:</p><blockquote style="white-space:pre-wrap">{{items}}</blockquote><p>Total: {{total}}. La factura te llega en otro correo.</p>',
        ),
        text: 'Hola {{clientName}},\n\ngracias por tu pedido {{orderId}}:\n\n{{items}}\n\nTotal: {{total}}. La factura te llega en otro correo.\n\n{{brandName}}',
      },
    },
  },
  service_suspended: {
    description: 'A service was suspended',
    variables: ['clientName'],
    sample: { clientName: 'Ada Lovelace' },
    defaults: {
      en: {
        subject: 'Your service was suspended',
        html: html(
          '<p>Hello {{clientName}},</p><p>one of your services was suspended. Pay any overdue invoice or contact {{supportEmail}}.</p>',
        ),
        text: 'Hello {{clientName}},\n\none of your services was suspended. Pay any overdue invoice or contact {{supportEmail}}.\n\n{{brandName}}',
      },
      es: {
        subject: 'Tu servicio fue suspendido',
        html: html(
          '<p>Hola {{clientName}},</p><p>uno de tus servicios fue suspendido. Paga las facturas vencidas o escribe a {{supportEmail}}.</p>',
        ),
        text: 'Hola {{clientName}},\n\nuno de tus servicios fue suspendido. Paga las facturas vencidas o escribe a {{supportEmail}}.\n\n{{brandName}}',
      },
    },
  },
  service_unsuspended: {
    description: 'A suspended service is active again',
    variables: ['clientName'],
    sample: { clientName: 'Ada Lovelace' },
    defaults: {
      en: {
        subject: 'Your service is active again',
        html: html('<p>Hello {{clientName}},</p><p>your service is active again.</p>'),
        text: 'Hello {{clientName}},\n\nyour service is active again.\n\n{{brandName}}',
      },
      es: {
        subject: 'Tu servicio está activo de nuevo',
        html: html('<p>Hola {{clientName}},</p><p>tu servicio está activo de nuevo.</p>'),
        text: 'Hola {{clientName}},\n\ntu servicio está activo de nuevo.\n\n{{brandName}}',
      },
    },
  },
  service_package_changed: {
    description: 'An upgrade or downgrade of a service is in place on its server',
    variables: ['clientName'],
    sample: { clientName: 'Ada Lovelace' },
    defaults: {
      en: {
        subject: 'Your plan was changed',
        html: html('<p>Hello {{clientName}},</p><p>your service now runs on its new plan.</p>'),
        text: 'Hello {{clientName}},\n\nyour service now runs on its new plan.\n\n{{brandName}}',
      },
      es: {
        subject: 'Tu plan fue cambiado',
        html: html('<p>Hola {{clientName}},</p><p>tu servicio ya funciona con su nuevo plan.</p>'),
        text: 'Hola {{clientName}},\n\ntu servicio ya funciona con su nuevo plan.\n\n{{brandName}}',
      },
    },
  },
  invoice_reminder: {
    description: 'A payment reminder before an invoice is due (the tenant’s reminder days)',
    variables: ['clientName', 'invoiceNumber', 'balance', 'dueDate'],
    sample: {
      clientName: 'Ada Lovelace',
      invoiceNumber: 'INV-2026-000123',
      balance: '€12.34',
      dueDate: '2026-12-01',
    },
    defaults: {
      en: {
        subject: 'Reminder: invoice {{invoiceNumber}} is due on {{dueDate}}',
        html: html(
          '<p>Hello {{clientName}},</p><p>invoice {{invoiceNumber}} ({{balance}} to pay) is due on {{dueDate}}.</p>',
        ),
        text: 'Hello {{clientName}},\n\ninvoice {{invoiceNumber}} ({{balance}} to pay) is due on {{dueDate}}.\n\n{{brandName}}',
      },
      es: {
        subject: 'Recordatorio: la factura {{invoiceNumber}} vence el {{dueDate}}',
        html: html(
          '<p>Hola {{clientName}},</p><p>la factura {{invoiceNumber}} ({{balance}} pendiente) vence el {{dueDate}}.</p>',
        ),
        text: 'Hola {{clientName}},\n\nla factura {{invoiceNumber}} ({{balance}} pendiente) vence el {{dueDate}}.\n\n{{brandName}}',
      },
    },
  },
  invoice_overdue: {
    description: 'An overdue notice (the tenant’s reminder days after the due date)',
    variables: ['clientName', 'invoiceNumber', 'balance', 'dueDate', 'daysOverdue'],
    sample: {
      clientName: 'Ada Lovelace',
      invoiceNumber: 'INV-2026-000123',
      balance: '€12.34',
      dueDate: '2026-12-01',
      daysOverdue: '3',
    },
    defaults: {
      en: {
        subject: 'Overdue: invoice {{invoiceNumber}}',
        html: html(
          '<p>Hello {{clientName}},</p><p>invoice {{invoiceNumber}} was due on {{dueDate}} ({{daysOverdue}} days ago); {{balance}} is still to pay. Please pay it to keep your services running.</p>',
        ),
        text: 'Hello {{clientName}},\n\ninvoice {{invoiceNumber}} was due on {{dueDate}} ({{daysOverdue}} days ago); {{balance}} is still to pay. Please pay it to keep your services running.\n\n{{brandName}}',
      },
      es: {
        subject: 'Vencida: factura {{invoiceNumber}}',
        html: html(
          '<p>Hola {{clientName}},</p><p>la factura {{invoiceNumber}} venció el {{dueDate}} (hace {{daysOverdue}} días); quedan {{balance}} por pagar. Págala para mantener tus servicios activos.</p>',
        ),
        text: 'Hola {{clientName}},\n\nla factura {{invoiceNumber}} venció el {{dueDate}} (hace {{daysOverdue}} días); quedan {{balance}} por pagar. Págala para mantener tus servicios activos.\n\n{{brandName}}',
      },
    },
  },
  late_fee_applied: {
    description: 'A late fee was added to an overdue invoice',
    variables: ['clientName', 'invoiceNumber', 'fee', 'total'],
    sample: { clientName: 'Ada Lovelace', invoiceNumber: 'INV-2026-000123', fee: '€5.00', total: '€17.34' },
    defaults: {
      en: {
        subject: 'A late fee was added to invoice {{invoiceNumber}}',
        html: html(
          '<p>Hello {{clientName}},</p><p>a late fee of {{fee}} was added to invoice {{invoiceNumber}}; its total is now {{total}}.</p>',
        ),
        text: 'Hello {{clientName}},\n\na late fee of {{fee}} was added to invoice {{invoiceNumber}}; its total is now {{total}}.\n\n{{brandName}}',
      },
      es: {
        subject: 'Se añadió un recargo a la factura {{invoiceNumber}}',
        html: html(
          '<p>Hola {{clientName}},</p><p>se añadió un recargo de {{fee}} a la factura {{invoiceNumber}}; su total es ahora {{total}}.</p>',
        ),
        text: 'Hola {{clientName}},\n\nse añadió un recargo de {{fee}} a la factura {{invoiceNumber}}; su total es ahora {{total}}.\n\n{{brandName}}',
      },
    },
  },
  payment_failed: {
    description: 'An automatic card charge of an invoice was declined',
    variables: ['clientName', 'invoiceNumber', 'amount', 'nextAttemptOn'],
    sample: {
      clientName: 'Ada Lovelace',
      invoiceNumber: 'INV-2026-000123',
      amount: '€12.34',
      nextAttemptOn: '2026-12-04',
    },
    defaults: {
      en: {
        subject: 'We could not charge your card for {{invoiceNumber}}',
        html: html(
          '<p>Hello {{clientName}},</p><p>your card was declined for {{amount}} (invoice {{invoiceNumber}}). Next attempt: {{nextAttemptOn}}. You can pay or change your card in your client area.</p>',
        ),
        text: 'Hello {{clientName}},\n\nyour card was declined for {{amount}} (invoice {{invoiceNumber}}). Next attempt: {{nextAttemptOn}}. You can pay or change your card in your client area.\n\n{{brandName}}',
      },
      es: {
        subject: 'No pudimos cobrar tu tarjeta por {{invoiceNumber}}',
        html: html(
          '<p>Hola {{clientName}},</p><p>tu tarjeta fue rechazada por {{amount}} (factura {{invoiceNumber}}). Próximo intento: {{nextAttemptOn}}. Puedes pagar o cambiar tu tarjeta en tu área de cliente.</p>',
        ),
        text: 'Hola {{clientName}},\n\ntu tarjeta fue rechazada por {{amount}} (factura {{invoiceNumber}}). Próximo intento: {{nextAttemptOn}}. Puedes pagar o cambiar tu tarjeta en tu área de cliente.\n\n{{brandName}}',
      },
    },
  },
  domain_registered: {
    description: 'A domain was registered (or transferred in)',
    variables: ['clientName', 'domain', 'expiresAt'],
    sample: { clientName: 'Ada Lovelace', domain: 'example.com', expiresAt: '2027-11-30' },
    defaults: {
      en: {
        subject: '{{domain}} is registered',
        html: html(
          '<p>Hello {{clientName}},</p><p>{{domain}} is registered in your name until {{expiresAt}}.</p>',
        ),
        text: 'Hello {{clientName}},\n\n{{domain}} is registered in your name until {{expiresAt}}.\n\n{{brandName}}',
      },
      es: {
        subject: '{{domain}} está registrado',
        html: html(
          '<p>Hola {{clientName}},</p><p>{{domain}} está registrado a tu nombre hasta el {{expiresAt}}.</p>',
        ),
        text: 'Hola {{clientName}},\n\n{{domain}} está registrado a tu nombre hasta el {{expiresAt}}.\n\n{{brandName}}',
      },
    },
  },
  domain_renewed: {
    description: 'A domain was renewed',
    variables: ['clientName', 'domain', 'expiresAt'],
    sample: { clientName: 'Ada Lovelace', domain: 'example.com', expiresAt: '2028-11-30' },
    defaults: {
      en: {
        subject: '{{domain}} was renewed',
        html: html('<p>Hello {{clientName}},</p><p>{{domain}} was renewed until {{expiresAt}}.</p>'),
        text: 'Hello {{clientName}},\n\n{{domain}} was renewed until {{expiresAt}}.\n\n{{brandName}}',
      },
      es: {
        subject: '{{domain}} fue renovado',
        html: html('<p>Hola {{clientName}},</p><p>{{domain}} fue renovado hasta el {{expiresAt}}.</p>'),
        text: 'Hola {{clientName}},\n\n{{domain}} fue renovado hasta el {{expiresAt}}.\n\n{{brandName}}',
      },
    },
  },
  domain_expiring: {
    description: 'A domain expires soon (30 and 7 days before, once each per expiry date)',
    variables: ['clientName', 'domain', 'expiresAt', 'daysLeft'],
    sample: { clientName: 'Ada Lovelace', domain: 'example.com', expiresAt: '2026-12-30', daysLeft: '30' },
    defaults: {
      en: {
        subject: '{{domain}} expires in {{daysLeft}} days',
        html: html(
          '<p>Hello {{clientName}},</p><p>{{domain}} expires on {{expiresAt}} ({{daysLeft}} days from now). Renew it in your client area to keep it; if its renewal is already paid, you can ignore this email.</p>',
        ),
        text: 'Hello {{clientName}},\n\n{{domain}} expires on {{expiresAt}} ({{daysLeft}} days from now). Renew it in your client area to keep it; if its renewal is already paid, you can ignore this email.\n\n{{brandName}}',
      },
      es: {
        subject: '{{domain}} caduca en {{daysLeft}} días',
        html: html(
          '<p>Hola {{clientName}},</p><p>{{domain}} caduca el {{expiresAt}} (dentro de {{daysLeft}} días). Renuévalo en tu área de cliente para conservarlo; si su renovación ya está pagada, puedes ignorar este correo.</p>',
        ),
        text: 'Hola {{clientName}},\n\n{{domain}} caduca el {{expiresAt}} (dentro de {{daysLeft}} días). Renuévalo en tu área de cliente para conservarlo; si su renovación ya está pagada, puedes ignorar este correo.\n\n{{brandName}}',
      },
    },
  },
  password_reset: {
    description: 'A password reset was requested (the link is fetched from identity when the mail is sent)',
    variables: ['clientName', 'resetLink', 'expiresAt'],
    sample: {
      clientName: 'Ada Lovelace',
      resetLink: 'https://portal.example.com/reset-password?token=sample',
      expiresAt: '2026-12-01 10:00 UTC',
    },
    defaults: {
      en: {
        subject: 'Reset your {{brandName}} password',
        html: html(
          '<p>Hello {{clientName}},</p><p><a href="{{resetLink}}">Choose a new password</a> before {{expiresAt}}. If you did not ask for this, ignore this email.</p>',
        ),
        text: 'Hello {{clientName}},\n\nchoose a new password before {{expiresAt}}:\n{{resetLink}}\n\nIf you did not ask for this, ignore this email.\n\n{{brandName}}',
      },
      es: {
        subject: 'Restablece tu contraseña de {{brandName}}',
        html: html(
          '<p>Hola {{clientName}},</p><p><a href="{{resetLink}}">Elige una nueva contraseña</a> antes del {{expiresAt}}. Si no lo pediste, ignora este correo.</p>',
        ),
        text: 'Hola {{clientName}},\n\nelige una nueva contraseña antes del {{expiresAt}}:\n{{resetLink}}\n\nSi no lo pediste, ignora este correo.\n\n{{brandName}}',
      },
    },
  },
  ticket_opened: {
    description: 'A ticket was opened (by the client: a receipt; by staff: their first message)',
    variables: ['clientName', 'ticketSubject', 'message'],
    sample: {
      clientName: 'Ada Lovelace',
      ticketSubject: 'Site down',
      message: 'My site shows an error since this morning.',
    },
    defaults: {
      en: {
        subject: '[Ticket] {{ticketSubject}}',
        html: html(
          '<p>Hello {{clientName}},</p><p>your ticket “{{ticketSubject}}” is open:</p><blockquote style="white-space:pre-wrap">{{message}}</blockquote><p>Reply to this email to add to it.</p>',
        ),
        text: 'Hello {{clientName}},\n\nyour ticket “{{ticketSubject}}” is open:\n\n{{message}}\n\nReply to this email to add to it.\n\n{{brandName}}',
      },
      es: {
        subject: '[Ticket] {{ticketSubject}}',
        html: html(
          '<p>Hola {{clientName}},</p><p>tu ticket «{{ticketSubject}}» está abierto:</p><blockquote style="white-space:pre-wrap">{{message}}</blockquote><p>Responde a este correo para añadir algo.</p>',
        ),
        text: 'Hola {{clientName}},\n\ntu ticket «{{ticketSubject}}» está abierto:\n\n{{message}}\n\nResponde a este correo para añadir algo.\n\n{{brandName}}',
      },
    },
  },
  ticket_replied: {
    description: 'Staff replied to a ticket (reply to this mail to answer)',
    variables: ['clientName', 'ticketSubject', 'message'],
    sample: { clientName: 'Ada Lovelace', ticketSubject: 'Site down', message: 'We restarted the server.' },
    defaults: {
      en: {
        subject: 'Re: {{ticketSubject}}',
        html: html(
          '<p>Hello {{clientName}},</p><blockquote style="white-space:pre-wrap">{{message}}</blockquote><p>Reply to this email to answer.</p>',
        ),
        text: 'Hello {{clientName}},\n\n{{message}}\n\nReply to this email to answer.\n\n{{brandName}}',
      },
      es: {
        subject: 'Re: {{ticketSubject}}',
        html: html(
          '<p>Hola {{clientName}},</p><blockquote style="white-space:pre-wrap">{{message}}</blockquote><p>Responde a este correo para contestar.</p>',
        ),
        text: 'Hola {{clientName}},\n\n{{message}}\n\nResponde a este correo para contestar.\n\n{{brandName}}',
      },
    },
  },
  signup_existing: {
    description:
      'Someone tried to sign up with the address of an existing account (the account’s owner is told; the links are built when the mail is sent)',
    variables: ['clientName', 'email', 'loginUrl', 'resetUrl'],
    sample: {
      clientName: 'Ada Lovelace',
      email: 'ada@example.com',
      loginUrl: 'https://portal.example.com/login',
      resetUrl: 'https://portal.example.com/forgot-password',
    },
    defaults: {
      en: {
        subject: 'Someone tried to sign up at {{brandName}} with your address',
        html: html(
          '<p>Hello {{clientName}},</p><p>someone tried to create a {{brandName}} account with {{email}}, which already has one. If it was you, <a href="{{loginUrl}}">log in</a> or <a href="{{resetUrl}}">reset your password</a>. If it was not, you can ignore this email: nothing was changed.</p>',
        ),
        text: 'Hello {{clientName}},\n\nsomeone tried to create a {{brandName}} account with {{email}}, which already has one.\nIf it was you, log in: {{loginUrl}}\nor reset your password: {{resetUrl}}\n\nIf it was not, you can ignore this email: nothing was changed.\n\n{{brandName}}',
      },
      es: {
        subject: 'Alguien intentó registrarse en {{brandName}} con tu dirección',
        html: html(
          '<p>Hola {{clientName}},</p><p>alguien intentó crear una cuenta de {{brandName}} con {{email}}, que ya tiene una. Si fuiste tú, <a href="{{loginUrl}}">inicia sesión</a> o <a href="{{resetUrl}}">restablece tu contraseña</a>. Si no, puedes ignorar este correo: no se ha cambiado nada.</p>',
        ),
        text: 'Hola {{clientName}},\n\nalguien intentó crear una cuenta de {{brandName}} con {{email}}, que ya tiene una.\nSi fuiste tú, inicia sesión: {{loginUrl}}\no restablece tu contraseña: {{resetUrl}}\n\nSi no, puedes ignorar este correo: no se ha cambiado nada.\n\n{{brandName}}',
      },
    },
  },
} satisfies Record<string, TemplateDefinition>;

export type TemplateKey = keyof typeof TEMPLATES;
export const TEMPLATE_KEYS = Object.keys(TEMPLATES) as TemplateKey[];
export const isTemplateKey = (k: string): k is TemplateKey => Object.hasOwn(TEMPLATES, k);

const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}/g;
/** Anything that looks like template syntax but is not a plain placeholder (`{{#if}}`, `{{{x}}}`, `{{a.b}}`). */
const OTHER_SYNTAX = /\{\{(?!\s*[A-Za-z][A-Za-z0-9]*\s*\}\})|\{\{\{|\}\}\}/;

/** The variables a template may name: its own and the brand's. */
export const allowedVariables = (key: TemplateKey): string[] => [
  ...TEMPLATES[key].variables,
  ...BRAND_VARIABLES,
];

/** Why a template text is refused (an unknown variable or other syntax), or undefined when it is fine. */
export function templateProblem(key: TemplateKey, source: string): string | undefined {
  if (OTHER_SYNTAX.test(source)) return 'only {{variable}} placeholders are allowed';
  const allowed = new Set(allowedVariables(key));
  for (const m of source.matchAll(PLACEHOLDER))
    if (!allowed.has(m[1]!)) return `unknown variable {{${m[1]}}} (allowed: ${[...allowed].join(', ')})`;
  return undefined;
}

export const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** One pass over the source: a value is inserted once and never read again as a template. */
function fill(source: string, vars: Record<string, string>, encode: (s: string) => string) {
  return source.replace(PLACEHOLDER, (_all, name: string) =>
    Object.hasOwn(vars, name) ? encode(vars[name]!) : '',
  );
}

export interface RenderedMail {
  subject: string;
  html: string;
  text: string;
}

export function render(t: TemplateText, vars: Record<string, string>): RenderedMail {
  return {
    subject: fill(t.subject, vars, (s) => s)
      .replace(/[\r\n]+/g, ' ')
      .trim()
      .slice(0, 250),
    html: fill(t.html, vars, escapeHtml),
    text: fill(t.text, vars, (s) => s),
  };
}

export const languageOf = (tag: string | null | undefined): MailLanguage => {
  const base = (tag ?? 'en').slice(0, 2).toLowerCase();
  return (LANGUAGES as readonly string[]).includes(base) ? (base as MailLanguage) : 'en';
};

/**
 * An amount in integer minor units as the client reads it (`€12.34`, `¥1,200`): the decimal string is
 * built from the integer, never through a float.
 */
export function formatMoney(minor: number, currency: string, language: string): string {
  let nf: Intl.NumberFormat;
  try {
    nf = new Intl.NumberFormat(language, { style: 'currency', currency });
  } catch {
    return `${minor} ${currency}`;
  }
  const digits = nf.resolvedOptions().maximumFractionDigits ?? 2;
  const negative = minor < 0;
  const abs = String(Math.abs(minor)).padStart(digits + 1, '0');
  const decimal = digits === 0 ? abs : `${abs.slice(0, -digits)}.${abs.slice(-digits)}`;
  return nf.format(`${negative ? '-' : ''}${decimal}` as unknown as number);
}
