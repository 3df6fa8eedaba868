/**
 * The local checkout page: plays Stripe Checkout for the local cloud.
 *
 * `GET /checkout/<checkoutId>` shows the deposit (amount, description) with "Pay" and "Cancel". Pay builds a
 * `checkout.session.completed` event shaped like Stripe's (metadata with tenantId and bookingId, a fake
 * PaymentIntent id), signs it with the stripe SDK's own `generateTestHeaderString` and the local webhook
 * signing secret, and POSTs it to the REAL webhook route of the local gateway — the same verification path
 * as a Stripe delivery. Cancel does the same with `checkout.session.expired` (as expiring a session through
 * Stripe's API would). No card data is asked for; nothing secret is printed.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import Stripe from 'stripe';
import type { LocalCheckout, LocalCheckoutStore } from '../lambdas/adapters/payments/local';
import type { Clock } from '../lambdas/core/ports';
import type { PageMount } from './gateway';

export interface CheckoutPageOptions {
  /** The checkouts (built on first use: the table's client needs the local cloud's environment). */
  readonly checkouts: () => LocalCheckoutStore;
  /** The webhook route of the local gateway for a tenant: `<gateway>/v1/webhooks/stripe/<tenantId>`. */
  readonly webhookUrl: (tenantId: string) => string;
  /** The local webhook signing secret (`whsec_…`), the same the webhook function verifies with. */
  readonly webhookSecret: string;
  readonly clock: Clock;
  readonly log: (line: string) => void;
}


export const CHECKOUT_PREFIX = '/checkout/';

type Text = Readonly<Record<'title' | 'pay' | 'cancel' | 'amount' | 'paid' | 'cancelled' | 'expired' | 'alreadyPaid' | 'notFound' | 'failed' | 'note', string>>;

/** The page's words: the customer's language (the booking's), English otherwise. */
export const checkoutPageText: Readonly<Record<'en' | 'es', Text>> = {
  en: {
    title: 'Pay your deposit',
    pay: 'Pay',
    cancel: 'Cancel',
    amount: 'Amount',
    paid: 'Paid — you can return to the chat.',
    cancelled: 'Payment cancelled — you can return to the chat.',
    expired: 'This payment link has expired. Please ask in the chat for a new booking.',
    alreadyPaid: 'This deposit is already paid — you can return to the chat.',
    notFound: 'There is no payment with this link.',
    failed: 'The payment could not be confirmed. Please try again.',
    note: 'Local test checkout: no card is charged.',
  },
  es: {
    title: 'Pago de la señal',
    pay: 'Pagar',
    cancel: 'Cancelar',
    amount: 'Importe',
    paid: 'Pagado — puede volver al chat.',
    cancelled: 'Pago cancelado — puede volver al chat.',
    expired: 'Este enlace de pago ha caducado. Pida una nueva reserva en el chat.',
    alreadyPaid: 'Esta señal ya está pagada — puede volver al chat.',
    notFound: 'No hay ningún pago con este enlace.',
    failed: 'No se pudo confirmar el pago. Inténtelo de nuevo.',
    note: 'Pago de prueba local: no se cobra ninguna tarjeta.',
  },
};

function textFor(lang: string): { lang: 'en' | 'es'; t: Text } {
  return lang.toLowerCase().startsWith('es') ? { lang: 'es', t: checkoutPageText.es } : { lang: 'en', t: checkoutPageText.en };
}

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** An amount in minor units (cents) as money in the page's language; zero-decimal currencies (JPY) as they are. */
export function formatAmount(amountMinor: number, currency: string, lang: string): string {
  const format = new Intl.NumberFormat(lang, { style: 'currency', currency: currency.toUpperCase() });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(amountMinor / 10 ** digits);
}

const STYLE = `body{font-family:system-ui,sans-serif;background:#f4f6f8;color:#1f2933;margin:0}
main{max-width:26rem;margin:3rem auto;background:#fff;border-radius:12px;padding:2rem;box-shadow:0 2px 12px rgba(0,0,0,.08)}
h1{font-size:1.4rem;margin:0 0 1rem}.amount{font-size:2rem;font-weight:700;margin:.25rem 0 1rem}
.actions{display:flex;gap:.75rem;margin-top:1.5rem}button{font:inherit;padding:.7rem 1.4rem;border-radius:8px;border:1px solid #0f766e;cursor:pointer}
button.pay{background:#0f766e;color:#fff}button.cancel{background:#fff;color:#0f766e}button:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.note{color:#52606d;font-size:.85rem;margin-top:1.5rem}`;

function page(lang: string, title: string, body: string): string {
  return `<!doctype html>
<html lang="${escapeHtml(lang)}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main>${body}</main></body>
</html>`;
}

function send(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  });
  res.end(html);
}

function message(res: ServerResponse, status: number, lang: string, text: string): void {
  const { t } = textFor(lang);
  send(res, status, page(lang, t.title, `<h1>${escapeHtml(t.title)}</h1><p role="status">${escapeHtml(text)}</p>`));
}

function checkoutForm(checkout: LocalCheckout): string {
  const { lang, t } = textFor(checkout.lang);
  const action = `${CHECKOUT_PREFIX}${encodeURIComponent(checkout.checkoutId)}`;
  return page(
    lang,
    t.title,
    `<h1>${escapeHtml(t.title)}</h1>
<p>${escapeHtml(checkout.description)}</p>
<p class="amount" aria-label="${escapeHtml(t.amount)}">${escapeHtml(formatAmount(checkout.amountCents, checkout.currency, lang))}</p>
<div class="actions">
<form method="post" action="${escapeHtml(action)}/pay"><button class="pay" type="submit">${escapeHtml(t.pay)}</button></form>
<form method="post" action="${escapeHtml(action)}/cancel"><button class="cancel" type="submit">${escapeHtml(t.cancel)}</button></form>
</div>
<p class="note">${escapeHtml(t.note)}</p>`,
  );
}

/** A Stripe `checkout.session.*` event for a local checkout, as Stripe would deliver it. */
export function checkoutSessionEvent(type: 'checkout.session.completed' | 'checkout.session.expired', checkout: LocalCheckout, now: Date): Record<string, unknown> {
  const paid = type === 'checkout.session.completed';
  const created = Math.floor(now.getTime() / 1000);
  return {
    id: `evt_local_${randomBytes(12).toString('hex')}`,
    object: 'event',
    api_version: Stripe.API_VERSION,
    created,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: {
      object: {
        id: checkout.checkoutId,
        object: 'checkout.session',
        amount_subtotal: checkout.amountCents,
        amount_total: checkout.amountCents,
        created: Math.floor(Date.parse(checkout.createdAt) / 1000),
        currency: checkout.currency,
        customer_email: checkout.customerEmail ?? null,
        expires_at: Math.floor(Date.parse(checkout.payBy) / 1000),
        livemode: false,
        metadata: { tenantId: checkout.tenantId, bookingId: checkout.bookingId },
        mode: 'payment',
        payment_intent: paid ? checkout.paymentId : null,
        payment_status: paid ? 'paid' : 'unpaid',
        status: paid ? 'complete' : 'expired',
        url: null,
      },
    },
  };
}

/** The checkout page, to mount on the local gateway. */
export function checkoutPage(options: CheckoutPageOptions): PageMount {
  /** Signs the event like Stripe and delivers it to the webhook route; true on a 2xx. */
  const deliver = async (checkout: LocalCheckout, event: Record<string, unknown>): Promise<boolean> => {
    const payload = JSON.stringify(event, null, 2);
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: options.webhookSecret, timestamp: Math.floor(options.clock.now().getTime() / 1000) });
    try {
      const response = await fetch(options.webhookUrl(checkout.tenantId), {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': header, 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks) local-checkout' },
        body: payload,
      });
      await response.arrayBuffer();
      if (!response.ok) options.log(`checkout ${checkout.checkoutId}: the webhook answered ${response.status}`);
      return response.ok;
    } catch (error) {
      options.log(`checkout ${checkout.checkoutId}: the webhook could not be reached: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    }
  };

  return {
    prefix: CHECKOUT_PREFIX,
    async handle(req, res, url) {
      for await (const _chunk of req) {
        // the forms carry nothing: drain the body
      }
      const [rawId = '', action = '', ...rest] = url.pathname.slice(CHECKOUT_PREFIX.length).split('/');
      const method = (req.method ?? 'GET').toUpperCase();
      const checkoutId = decodeURIComponent(rawId);
      const known = rest.length === 0 && (method === 'GET' || method === 'HEAD' ? action === '' : method === 'POST' && (action === 'pay' || action === 'cancel'));
      if (!known) return message(res, method === 'POST' || action === '' ? 405 : 404, 'en', checkoutPageText.en.notFound);

      const checkout = await options.checkouts().get(checkoutId);
      if (!checkout) return message(res, 404, 'en', checkoutPageText.en.notFound);
      const { t } = textFor(checkout.lang);
      const now = options.clock.now();
      const expired = checkout.status === 'expired' || (checkout.status === 'open' && Date.parse(checkout.payBy) <= now.getTime());
      if (checkout.status === 'paid') return message(res, 200, checkout.lang, t.alreadyPaid);
      if (expired) return message(res, 410, checkout.lang, t.expired);
      if (method !== 'POST') return send(res, 200, checkoutForm(checkout));

      const status = action === 'pay' ? 'paid' : 'expired';
      const closed = await options.checkouts().close(checkout, status);
      if (!closed) {
        const again = await options.checkouts().get(checkoutId);
        return message(res, again?.status === 'paid' ? 200 : 410, checkout.lang, again?.status === 'paid' ? t.alreadyPaid : t.expired);
      }
      const delivered = await deliver(closed, checkoutSessionEvent(action === 'pay' ? 'checkout.session.completed' : 'checkout.session.expired', closed, now));
      if (!delivered) {
        await options.checkouts().reopen(closed, status);
        return message(res, 502, checkout.lang, t.failed);
      }
      return message(res, 200, checkout.lang, action === 'pay' ? t.paid : t.cancelled);
    },
  };
}
