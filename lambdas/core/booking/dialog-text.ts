/**
 * What the booking conversation (./dialog.ts) says, in each reply language.
 * Dates, times and money arrive already formatted (Intl, business time zone).
 */
import type { ReplyLanguage } from '../nlu/language';

const EN = {
  locale: 'en-IE',
  whichService: 'Which service would you like to book?',
  orCall: (phone: string) => `You can also call us on ${phone}.`,
  serviceLine: (name: string, price: string, minutes: number) => `${name}: ${price}, ${minutes} minutes.`,
  depositNote: (deposit: string) => `A ${deposit} deposit secures the booking.`,
  freeTimes: (count: number): string => (count === 1 ? 'This time is free:' : 'These times are free:'),
  pickOne: 'Which one suits you? Pick one, or tell me another day or time.',
  slotLine: (n: number, when: string, staff: string) => `${n}. ${when} with ${staff}`,
  nothingFree: (phone?: string) => `I couldn't find a free time in the next two weeks.${phone ? ` Please call us on ${phone}.` : ''}`,
  problem: {
    unknown_service: "I don't know that service.",
    unknown_staff: "I couldn't find that member of the team.",
    staff_does_not_do_service: (staff: string, service: string) => `${staff} doesn't do ${service}.`,
    past: 'That time has already passed.',
    closed: (day: string) => `We're closed ${day}.`,
    endsAfterClose: (service: string, minutes: number, day: string, close: string) =>
      `${service} takes ${minutes} minutes, so starting at that time ${day} it would end after we close at ${close}.`,
    beyond_horizon: (days: number) => `We take bookings up to ${days} days ahead.`,
    fully_booked: (day: string) => `Sorry, there's nothing free ${day}.`,
  },
  closedThen: 'then',
  atThatTime: (day: string) => `at that time ${day}`,
  nothingLater: (day: string) => `There's nothing later ${day}.`,
  nothingEarlier: (day: string) => `There's nothing earlier ${day}.`,
  otherTime: 'No problem. What other day or time would suit you better?',
  unknownDate: (written: string) => `I can't find ${written} in the calendar. Which day would you like?`,
  onDay: (day: string) => `on ${day}`,
  nearest: 'The nearest free times:',
  nearestWithOthers: 'Free times with someone who does it:',
  askContact: 'Great. What name and phone number (or e-mail) should I put the booking under?',
  askName: 'Thanks. And what name should I put the booking under?',
  askPhone: (name: string) => `Thanks, ${name}. What phone number or e-mail can we reach you on?`,
  askLookupContact: 'What phone number or e-mail did you book with? I can only show bookings made with it.',
  summary: (service: string, staff: string, when: string, minutes: number, price: string) => `${service} with ${staff}, ${when} (${minutes} minutes), ${price}.`,
  /** "Dinner table for 4": the service and the party it is for. */
  forParty: (service: string, people: number) => `${service} for ${people}`,
  groupTooLarge: (max: number, service: string) =>
    `We take bookings online for groups of up to ${max} (${service}). For a bigger group, a member of the team will gladly arrange it with you. Shall I ask one of them?`,
  confirmIntro: 'To confirm:',
  depositDue: (deposit: string) => `A ${deposit} deposit is due to secure it: I'll send you a payment link.`,
  policy: (hours: number): string => (hours > 0 ? `You can cancel or change it free of charge up to ${hours} hours before.` : 'You can cancel or change it any time before.'),
  policyTooClose: (hours: number, phone?: string): string =>
    `It's less than ${hours} hours away, so once booked it can't be cancelled or changed here${phone ? `: call us on ${phone} if you need to` : ''}.`,
  shallIBook: 'Shall I book it?',
  welcomeShallIBook: "You're welcome! Shall I go ahead and book it?",
  yesBook: 'Yes, book it',
  yesBookText: 'Yes',
  no: 'No',
  booked: (summary: string) => `Done! I've booked ${summary}`,
  bookedConfirmation: "You'll get a confirmation shortly.",
  paymentLinkComing: (deposit: string, minutes: number) => `A payment link for the ${deposit} deposit is on its way: the booking is confirmed once it's paid (within ${minutes} minutes).`,
  taken: 'Sorry, that time was just taken by someone else.',
  abandoned: "OK, I've left the booking. Anything else I can help with?",
  continueBooking: 'Shall we continue with your booking?',
  continueYes: 'Yes, continue',
  continueNo: 'No',
  noUpcoming: "I can't find any upcoming bookings made from this chat with those details (for your security, those are the only ones I can show or change here).",
  upcoming: (count: number): string => (count === 1 ? 'Your upcoming booking:' : 'Your upcoming bookings:'),
  bookingLine: (service: string, when: string, staff: string, status: string) => `- ${service}, ${when} with ${staff}${status}`,
  awaitingPayment: ' (awaiting the deposit)',
  held: ' (being confirmed)',
  whichBooking: (action: 'cancel' | 'reschedule'): string => (action === 'cancel' ? 'Which booking would you like to cancel?' : 'Which booking would you like to move?'),
  confirmCancel: (summary: string) => `Cancel ${summary}?`,
  yesCancel: 'Yes, cancel it',
  cancelled: (summary: string) => `Your booking (${summary}) is cancelled.`,
  refunded: (deposit: string) => `Your ${deposit} deposit will be refunded.`,
  notRefunded: 'The deposit is not refundable.',
  keptIt: "OK, I haven't changed anything.",
  askTeam: 'Shall I ask a member of the team to help?',
  tooLate: (hours: number) => `Bookings can only be cancelled or changed here up to ${hours} hours before, so it's too late for me to do it. Shall I ask a member of the team to help?`,
  notActive: 'That booking is no longer active.',
  rescheduleWhen: (summary: string) => `When would you like to move ${summary} to?`,
  confirmMove: (from: string, to: string) => `Move your booking from ${from} to ${to}?`,
  yesMove: 'Yes, move it',
  moved: (summary: string) => `Done! Your booking is now ${summary} You'll get a new confirmation shortly.`,
  alreadyThen: (when: string) => `Your booking is already at ${when}, so I haven't changed anything.`,
  alreadyAt: (when: string) => `Your booking is already at ${when}.`,
  talkToPerson: 'Talk to a person',
  talkToPersonText: "I'd like to talk to a person",
  yes: 'Yes, please',
  noThanks: 'No, thanks',
};

type Strings = typeof EN;

const ES: Strings = {
  locale: 'es-ES',
  whichService: '¿Qué servicio quiere reservar?',
  orCall: (phone) => `También puede llamarnos al ${phone}.`,
  serviceLine: (name, price, minutes) => `${name}: ${price}, ${minutes} minutos.`,
  depositNote: (deposit) => `La reserva se asegura con una señal de ${deposit}.`,
  freeTimes: (count) => (count === 1 ? 'Esta hora está libre:' : 'Estas horas están libres:'),
  pickOne: '¿Cuál le viene bien? Elija una o dígame otro día u hora.',
  slotLine: (n, when, staff) => `${n}. ${when} con ${staff}`,
  nothingFree: (phone) => `No he encontrado horas libres en las próximas dos semanas.${phone ? ` Llámenos al ${phone}, por favor.` : ''}`,
  problem: {
    unknown_service: 'No conozco ese servicio.',
    unknown_staff: 'No encuentro a esa persona del equipo.',
    staff_does_not_do_service: (staff, service) => `${staff} no hace ${service}.`,
    past: 'Esa hora ya ha pasado.',
    closed: (day) => `Estamos cerrados ${day}.`,
    endsAfterClose: (service, minutes, day, close) => `${service} dura ${minutes} minutos: si empieza a esa hora ${day}, terminaría después de que cerremos, a las ${close}.`,
    beyond_horizon: (days) => `Aceptamos reservas con un máximo de ${days} días de antelación.`,
    fully_booked: (day) => `Lo siento, no queda nada libre ${day}.`,
  },
  closedThen: 'a esa hora',
  atThatTime: (day) => `a esa hora ${day}`,
  nothingLater: (day) => `No hay nada más tarde ${day}.`,
  nothingEarlier: (day) => `No hay nada más temprano ${day}.`,
  otherTime: 'De acuerdo. ¿Qué otro día u hora le vendría mejor?',
  unknownDate: (written) => `No encuentro el ${written} en el calendario. ¿Qué día le vendría bien?`,
  onDay: (day) => `el ${day}`,
  nearest: 'Las horas libres más cercanas:',
  nearestWithOthers: 'Horas libres con quien sí lo hace:',
  askContact: 'Perfecto. ¿A nombre de quién hago la reserva y con qué teléfono (o correo electrónico)?',
  askName: 'Gracias. ¿A nombre de quién hago la reserva?',
  askPhone: (name) => `Gracias, ${name}. ¿En qué teléfono o correo electrónico podemos contactarle?`,
  askLookupContact: '¿Con qué teléfono o correo electrónico hizo la reserva? Solo puedo mostrar las reservas hechas con él.',
  summary: (service, staff, when, minutes, price) => `${service} con ${staff}, ${when} (${minutes} minutos), ${price}.`,
  forParty: (service, people) => `${service} para ${people} ${people === 1 ? 'persona' : 'personas'}`,
  groupTooLarge: (max, service) =>
    `Por aquí aceptamos reservas para grupos de hasta ${max} personas (${service}). Para un grupo mayor, alguien del equipo se lo organiza con mucho gusto. ¿Quiere que se lo pida?`,
  confirmIntro: 'Para confirmar:',
  depositDue: (deposit) => `Para asegurarla hace falta una señal de ${deposit}: le enviaré un enlace de pago.`,
  policy: (hours) => (hours > 0 ? `Puede cancelarla o cambiarla sin coste hasta ${hours} horas antes.` : 'Puede cancelarla o cambiarla en cualquier momento antes.'),
  policyTooClose: (hours, phone) => `Faltan menos de ${hours} horas, así que una vez reservada no se podrá cancelar ni cambiar por aquí${phone ? `: llámenos al ${phone} si lo necesita` : ''}.`,
  shallIBook: '¿La reservo?',
  welcomeShallIBook: '¡De nada! ¿Se la reservo entonces?',
  yesBook: 'Sí, resérvela',
  yesBookText: 'Sí',
  no: 'No',
  booked: (summary) => `¡Hecho! He reservado ${summary}`,
  bookedConfirmation: 'Recibirá una confirmación en breve.',
  paymentLinkComing: (deposit, minutes) => `Le llega un enlace de pago para la señal de ${deposit}: la reserva queda confirmada al pagarla (en ${minutes} minutos como máximo).`,
  taken: 'Lo siento, alguien acaba de reservar esa hora.',
  abandoned: 'De acuerdo, dejo la reserva. ¿Puedo ayudarle con algo más?',
  continueBooking: '¿Seguimos con su reserva?',
  continueYes: 'Sí, seguir',
  continueNo: 'No',
  noUpcoming: 'No encuentro próximas reservas hechas desde este chat con esos datos (por seguridad, solo puedo mostrar o cambiar esas aquí).',
  upcoming: (count) => (count === 1 ? 'Su próxima reserva:' : 'Sus próximas reservas:'),
  bookingLine: (service, when, staff, status) => `- ${service}, ${when} con ${staff}${status}`,
  awaitingPayment: ' (pendiente de la señal)',
  held: ' (confirmándose)',
  whichBooking: (action) => (action === 'cancel' ? '¿Qué reserva quiere cancelar?' : '¿Qué reserva quiere cambiar?'),
  confirmCancel: (summary) => `¿Cancelo ${summary}?`,
  yesCancel: 'Sí, cancélela',
  cancelled: (summary) => `Su reserva (${summary}) está cancelada.`,
  refunded: (deposit) => `Le devolveremos la señal de ${deposit}.`,
  notRefunded: 'La señal no es reembolsable.',
  keptIt: 'De acuerdo, no he cambiado nada.',
  askTeam: '¿Quiere que se lo pida a alguien del equipo?',
  tooLate: (hours) => `Las reservas solo se pueden cancelar o cambiar por aquí hasta ${hours} horas antes, así que ya no puedo hacerlo yo. ¿Quiere que se lo pida a alguien del equipo?`,
  notActive: 'Esa reserva ya no está activa.',
  rescheduleWhen: (summary) => `¿A cuándo quiere cambiar ${summary}?`,
  confirmMove: (from, to) => `¿Cambio su reserva del ${from} al ${to}?`,
  yesMove: 'Sí, cámbiela',
  moved: (summary) => `¡Hecho! Su reserva es ahora ${summary} Recibirá una nueva confirmación en breve.`,
  alreadyThen: (when) => `Su reserva ya es el ${when}, así que no he cambiado nada.`,
  alreadyAt: (when) => `Su reserva ya es el ${when}.`,
  talkToPerson: 'Hablar con una persona',
  talkToPersonText: 'Quiero hablar con una persona',
  yes: 'Sí, por favor',
  noThanks: 'No, gracias',
};

const STRINGS: Record<ReplyLanguage, Strings> = { en: EN, es: ES };

/** The booking conversation's words in `lang`. */
export function dialogText(lang: ReplyLanguage): Strings {
  return STRINGS[lang];
}

/** "€80", "80 €", "€12.50" with a plain space (SMS and search friendly). */
export function formatMoney(cents: number, currency: string, locale: string): string {
  const formatted = new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: cents % 100 === 0 ? 0 : 2, maximumFractionDigits: 2 }).format(cents / 100);
  return formatted.replace(/[\u00a0\u202f]/g, ' ');
}

/**
 * What a service costs, as a price: its amount ("€80"), or "free" / "gratis" for a service that costs nothing (a
 * restaurant's table, a free first consultation), never "€0". Deposits and refunds are amounts (formatMoney).
 */
export function formatPrice(cents: number, currency: string, locale: string): string {
  if (cents === 0) return locale.startsWith('es') ? 'gratis' : 'free';
  return formatMoney(cents, currency, locale);
}
