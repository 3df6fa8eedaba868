/**
 * What the concierge says in its own words, in each reply language (en, es):
 * greetings, "I don't know", handoff and booking notices. Language detection
 * lives in ../nlu/language.ts and is re-exported here for existing callers.
 */
import { detectLanguage, type ReplyLanguage } from '../nlu/language';

export { detectLanguage, type ReplyLanguage };

const EN = {
  locale: 'en-IE',
  attachmentOnly: "I can't open photos, voice notes or files here. Please type your question, or I can pass this to someone from the team.",
  dontKnow: (business: string) => `I'm not sure about that, and I'd rather not guess. Would you like me to connect you with someone from ${business}?`,
  outOfScope: (business: string) =>
    `I'm not sure I can help with that: I can only answer questions about ${business}, such as our services, prices, opening hours and bookings. If you need something else from us, I can connect you with a person.`,
  openingHours: (hours: string) => `Our opening hours:\n${hours}`,
  stillUnanswered: (business: string) =>
    `I'm sorry, I haven't been able to answer your last questions, so I've asked someone from ${business} to help you. They'll reply here as soon as they can.`,
  talkToPerson: 'Talk to a person',
  talkToPersonText: "I'd like to talk to a person",
  yes: 'Yes, please',
  no: 'No, thanks',
  greeting: (business: string) => `Hello! I'm the ${business} concierge. Ask me about our services, prices, opening hours or anything else.`,
  thanks: "You're welcome! Is there anything else I can help with?",
  goodbye: 'Thanks for getting in touch. Have a lovely day!',
  affirmNoOffer: 'Great. What else can I help you with?',
  denyOffer: 'No problem. Is there anything else I can help with?',
  handoffRequested: (business: string) =>
    `I've asked a member of the ${business} team to take over this conversation. They'll get back to you here as soon as they can, so feel free to leave any details in the meantime.`,
  complaint: (business: string) =>
    `I'm really sorry to hear that. I'd like a person from ${business} to look into it properly. Shall I pass this conversation to a member of the team?`,
  kbInOtherLanguage: '',
  bookingIntro: "I can't make bookings in this chat yet, but here's what you need to know.",
  changeIntro: "I can't change or cancel bookings in this chat yet.",
  myBookingsIntro: "I can't look up bookings in this chat yet.",
  servicesList: 'Our services:',
  serviceLine: (name: string, price: string, minutes: number, deposit?: string) =>
    `${name}: ${price}, about ${minutes} minutes${deposit ? ` (a ${deposit} deposit secures the booking)` : ''}.`,
  withStaff: (name: string) => `You asked for ${name}; the team will do their best to arrange it.`,
  noted: (when: string) => `You'd like ${when}: I can't check availability here, so the team will confirm what's free.`,
  howToBook: (phone: string, email: string) => `To book, call us on ${phone} or email ${email}.`,
  howToChange: (phone: string, email: string) => `Please call us on ${phone} or email ${email} and the team will sort it out for you.`,
  howToCheck: (phone: string, email: string) => `Call us on ${phone} or email ${email} and the team will confirm your booking.`,
  between: (a: string, b: string) => `between ${a} and ${b}`,
  at: (t: string) => `at ${t}`,
  around: (t: string) => `around ${t}`,
};

type Strings = typeof EN;

const ES: Strings = {
  locale: 'es-ES',
  attachmentOnly: 'Aquí no puedo abrir fotos, notas de voz ni archivos. Escríbame su pregunta, o puedo pasárselo a alguien del equipo.',
  dontKnow: (business) => `No estoy seguro de eso y prefiero no adivinar. ¿Quiere que le ponga en contacto con alguien de ${business}?`,
  outOfScope: (business) =>
    `No estoy seguro de poder ayudarle con eso: solo puedo responder preguntas sobre ${business}, como nuestros servicios, precios, horarios y reservas. Si necesita otra cosa de nosotros, puedo ponerle en contacto con una persona.`,
  openingHours: (hours) => `Nuestro horario:\n${hours}`,
  stillUnanswered: (business) =>
    `Lo siento, no he podido responder a sus últimas preguntas, así que he pedido a alguien de ${business} que le ayude. Le contestarán aquí en cuanto puedan.`,
  talkToPerson: 'Hablar con una persona',
  talkToPersonText: 'Quiero hablar con una persona',
  yes: 'Sí, por favor',
  no: 'No, gracias',
  greeting: (business) => `¡Hola! Soy el asistente de ${business}. Pregúnteme por nuestros servicios, precios, horarios o lo que necesite.`,
  thanks: '¡De nada! ¿Puedo ayudarle con algo más?',
  goodbye: 'Gracias por escribirnos. ¡Que tenga un buen día!',
  affirmNoOffer: 'Perfecto. ¿En qué más puedo ayudarle?',
  denyOffer: 'De acuerdo. ¿Puedo ayudarle con algo más?',
  handoffRequested: (business) =>
    `He pedido a una persona del equipo de ${business} que continúe esta conversación. Le responderán aquí en cuanto puedan; mientras tanto, puede dejarnos los detalles que quiera.`,
  complaint: (business) =>
    `Siento mucho lo ocurrido. Me gustaría que una persona de ${business} lo revise como es debido. ¿Quiere que pase esta conversación a alguien del equipo?`,
  kbInOtherLanguage: 'Nuestra información está en inglés; esto es lo que dice:',
  bookingIntro: 'Todavía no puedo hacer reservas en este chat, pero esto es lo que necesita saber.',
  changeIntro: 'Todavía no puedo cambiar ni cancelar reservas en este chat.',
  myBookingsIntro: 'Todavía no puedo consultar reservas en este chat.',
  servicesList: 'Nuestros servicios:',
  serviceLine: (name, price, minutes, deposit) =>
    `${name}: ${price}, unos ${minutes} minutos${deposit ? ` (se reserva con una señal de ${deposit})` : ''}.`,
  withStaff: (name) => `Ha pedido que le atienda ${name}; el equipo hará lo posible por organizarlo.`,
  noted: (when) => `Le vendría bien ${when}: desde aquí no puedo ver la disponibilidad, así que el equipo le confirmará qué hay libre.`,
  howToBook: (phone, email) => `Para reservar, llámenos al ${phone} o escríbanos a ${email}.`,
  howToChange: (phone, email) => `Llámenos al ${phone} o escríbanos a ${email} y el equipo se lo gestionará.`,
  howToCheck: (phone, email) => `Llámenos al ${phone} o escríbanos a ${email} y el equipo le confirmará su reserva.`,
  between: (a, b) => `entre las ${a} y las ${b}`,
  at: (t) => `a las ${t}`,
  around: (t) => `sobre las ${t}`,
};

const STRINGS: Record<ReplyLanguage, Strings> = { en: EN, es: ES };

export function strings(lang: ReplyLanguage): Strings {
  return STRINGS[lang];
}
