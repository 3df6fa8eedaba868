/**
 * A small Spanish → English glossary for small-business conversations (opening
 * hours, prices, bookings, payment, access, and the vocabulary of clinics,
 * salons, restaurants, hotels and spas). It lets a Spanish question find passages of an
 * English knowledge base (query expansion), and Spanish service names match an
 * English catalogue ("limpieza" → check-up & clean, "blanqueamiento" →
 * whitening). Keys are folded (lower case, no accents); phrases come first so
 * "tarjeta regalo" wins over "tarjeta".
 */
import { words } from '../answer/text';

const PHRASES: Readonly<Record<string, string>> = {
  'tarjeta regalo': 'gift voucher',
  'tarjetas regalo': 'gift vouchers',
  'vale regalo': 'gift voucher',
  'cheque regalo': 'gift voucher',
  'silla de ruedas': 'wheelchair accessible',
  'dias festivos': 'bank holidays public holidays',
  'dia festivo': 'bank holiday public holiday',
  'fin de semana': 'weekend saturday',
  'primera visita': 'first visit',
  'primera cita': 'first visit appointment',
  'pacientes nuevos': 'new patients',
  'nuevos pacientes': 'new patients',
  'paciente nuevo': 'new patient',
  'transporte publico': 'public transport bus dart',
  'rayos x': 'x-rays',
  'radiografia': 'x-ray',
  'radiografias': 'x-rays',
  'dolor de muelas': 'toothache',
  'dolor de dientes': 'toothache',
  'diente roto': 'broken tooth',
  'muela rota': 'broken tooth',
  'se me ha caido un diente': 'tooth knocked out',
  'perdi un diente': 'tooth knocked out',
  'empaste caido': 'lost filling',
  'se me cayo un empaste': 'lost filling',
  'se me ha caido un empaste': 'lost filling',
  'plan de pago': 'payment plan',
  'planes de pago': 'payment plans finance',
  'pagar a plazos': 'payment plan instalments finance',
  'a plazos': 'instalments payment plan',
  'formas de pago': 'payment methods',
  'metodos de pago': 'payment methods',
  'forma de pago': 'payment methods',
  'seguro dental': 'dental insurance',
  'seguro medico': 'insurance',
  'desgravar': 'tax relief',
  'desgravacion': 'tax relief',
  'deduccion fiscal': 'tax relief',
  'historial dental': 'dental records',
  'historia clinica': 'records',
  'mi historial': 'my records',
  'ortodoncia invisible': 'invisalign clear aligners',
  'alineadores transparentes': 'clear aligners invisalign',
  'brackets metalicos': 'metal braces',
  'aparato de dientes': 'braces',
  'aparatos de dientes': 'braces',
  'endodoncia': 'root canal',
  'tratamiento de conducto': 'root canal',
  'llegar tarde': 'running late',
  'llego tarde': 'running late',
  'voy tarde': 'running late',
  'con retraso': 'running late',
  'hora de apertura': 'opening hours',
  'a que hora abren': 'opening hours open',
  'a que hora abris': 'opening hours open',
  'a que hora cierran': 'opening hours close',
  'a que hora cerrais': 'opening hours close',
  'que horario': 'opening hours',
  'cuanto cuesta': 'how much cost price',
  'cuanto vale': 'how much cost price',
  'cuanto cuestan': 'how much cost prices',
  'cuanto es': 'how much price',
  'dar de alta': 'register new patient',
  'medidas de higiene': 'hygiene infection control',
  'control de infecciones': 'infection control',
  'covid': 'covid',
  'estoy enfermo': 'unwell ill',
  'estoy enferma': 'unwell ill',
  'tengo fiebre': 'fever unwell',
  'embarazada': 'pregnant pregnancy',
  'dando el pecho': 'breastfeeding',
  'lactancia': 'breastfeeding',
  'miedo al dentista': 'nervous dentist',
  'me da miedo': 'nervous scared',
  'perro guia': 'assistance dogs',
  'perros guia': 'assistance dogs',
  'bucle magnetico': 'hearing loop',
  'despues del blanqueamiento': 'after whitening aftercare',
  'despues de una extraccion': 'after extraction',
  'quitar una muela': 'extraction',
  'sacar una muela': 'tooth extraction',
  'que debo evitar': 'avoid',
  'que no puedo': 'avoid',
  'cuanto tiempo': 'how long',
  'cuanto dura': 'how long duration',
  'con cuanta antelacion': 'notice',
  'cancelar una cita': 'cancel appointment',
  'cambiar la cita': 'change appointment reschedule',
  'cambiar mi cita': 'change appointment reschedule',
  'a que hora': 'what time',
  'sin gluten': 'gluten free',
  'check in': 'check-in',
  'check out': 'check-out',
};

const WORDS: Readonly<Record<string, string>> = {
  horario: 'opening hours', horarios: 'opening hours', abren: 'open', abris: 'open', abierto: 'open', abiertos: 'open', abre: 'open',
  cierran: 'close', cerrais: 'close', cerrado: 'closed', cerrados: 'closed', cierra: 'close',
  lunes: 'monday', martes: 'tuesday', miercoles: 'wednesday', jueves: 'thursday', viernes: 'friday', sabado: 'saturday', sabados: 'saturdays',
  domingo: 'sunday', domingos: 'sundays', festivo: 'bank holiday', festivos: 'bank holidays', noche: 'evening', noches: 'evenings', tarde: 'evening late',
  tardes: 'evenings', manana: 'morning tomorrow', mananas: 'mornings', hoy: 'today', semana: 'week',
  aparcamiento: 'parking', aparcar: 'park parking', parking: 'parking', estacionamiento: 'parking', estacionar: 'park', coche: 'car', aparco: 'park',
  donde: 'where', direccion: 'address location', ubicacion: 'location', estan: 'where', llegar: 'get to', autobus: 'bus', bus: 'bus', tren: 'train dart',
  metro: 'train dart', estacion: 'station', bici: 'bike', bicicleta: 'bike',
  precio: 'price cost', precios: 'prices cost', cuesta: 'cost', cuestan: 'cost', vale: 'cost', coste: 'cost', costo: 'cost', tarifa: 'price', tarifas: 'prices',
  pagar: 'pay payment', pago: 'payment', pagos: 'payments', tarjeta: 'card', tarjetas: 'cards', efectivo: 'cash', cheque: 'cheque', cheques: 'cheques',
  seguro: 'insurance', seguros: 'insurance', aseguradora: 'insurer', financiacion: 'finance payment plans', financiar: 'finance', plazos: 'instalments',
  deposito: 'deposit', senal: 'deposit', fianza: 'deposit', reembolso: 'refund', devolucion: 'refund', factura: 'receipt', recibo: 'receipt',
  cita: 'appointment', citas: 'appointments', reservar: 'book', reserva: 'booking', reservo: 'book', pedir: 'book', cancelar: 'cancel', anular: 'cancel',
  cancelacion: 'cancellation', cambiar: 'change', mover: 'move', aplazar: 'reschedule', politica: 'policy', aviso: 'notice', antelacion: 'notice', horas: 'hours',
  retraso: 'late', puntual: 'late',
  dentista: 'dentist', dentistas: 'dentists', doctora: 'dr', doctor: 'dr', higienista: 'hygienist', clinica: 'practice', consulta: 'consultation',
  diente: 'tooth', dientes: 'teeth', muela: 'tooth', muelas: 'teeth', encias: 'gums', boca: 'mouth', dolor: 'pain toothache', duele: 'pain hurt',
  urgencia: 'emergency', urgencias: 'emergency', emergencia: 'emergency', roto: 'broken', rota: 'broken', hinchazon: 'swelling', sangrado: 'bleeding',
  limpieza: 'clean check-up scale polish', limpiezas: 'cleans check-up', revision: 'check-up examination', revisiones: 'check-ups', chequeo: 'check-up',
  blanqueamiento: 'whitening', blanquear: 'whitening', blanqueamientos: 'whitening', blanco: 'white', blancos: 'white',
  ortodoncia: 'orthodontics braces aligners', brackets: 'braces', alineadores: 'aligners invisalign', invisalign: 'invisalign',
  empaste: 'filling', empastes: 'fillings', corona: 'crown', coronas: 'crowns', carillas: 'veneers', carilla: 'veneer', implante: 'implant', implantes: 'implants',
  extraccion: 'extraction', extracciones: 'extractions', conducto: 'root canal', sedacion: 'sedation', anestesia: 'anaesthetic',
  ninos: 'children kids', nino: 'child', nina: 'child', hijos: 'children', hijo: 'child son', hija: 'child daughter', bebe: 'baby', bebes: 'babies',
  familia: 'family', embarazo: 'pregnancy', nervioso: 'nervous', nerviosa: 'nervous', miedo: 'nervous fear', ansiedad: 'anxiety nervous',
  accesible: 'accessible', accesibilidad: 'accessibility', rampa: 'step-free access', ascensor: 'lift', aseo: 'toilet', bano: 'toilet',
  perro: 'dog', perros: 'dogs', wifi: 'wi-fi', internet: 'wi-fi', espanol: 'spanish', ingles: 'english', idiomas: 'languages', hablan: 'speak',
  regalo: 'gift voucher', regalos: 'gift vouchers', volante: 'referral', derivacion: 'referral', remitido: 'referral',
  historial: 'records', expediente: 'records', trasladar: 'transfer', transferir: 'transfer', copia: 'copy',
  seguridad: 'safe safety', higiene: 'hygiene', esterilizacion: 'sterilised', esterilizan: 'sterilised', mascarilla: 'mask',
  enfermo: 'unwell', enferma: 'unwell', fiebre: 'fever', sintomas: 'symptoms', gripe: 'flu',
  cafe: 'coffee', vino: 'wine', fumar: 'smoking', comer: 'eat food', beber: 'drink', evitar: 'avoid', cuidados: 'aftercare', despues: 'after',
  nuevos: 'new', nuevo: 'new', nueva: 'new', pacientes: 'patients', paciente: 'patient', primera: 'first', traer: 'bring', llevar: 'bring', documentos: 'documents',
  quejas: 'complaints feedback', queja: 'complaint feedback', reclamacion: 'complaint', sugerencias: 'feedback',
  cuanto: 'how much', cuanta: 'how much', cuantos: 'how many', cuando: 'when', como: 'how', ofrecen: 'offer', haceis: 'do', hacen: 'do', aceptan: 'accept',
  aceptais: 'accept', atienden: 'see', atendeis: 'see', tienen: 'have', teneis: 'have', hay: 'there is', puedo: 'can i', necesito: 'need',
  radiacion: 'radiation', dura: 'long', duracion: 'duration', minutos: 'minutes', sensibilidad: 'sensitivity', sensible: 'sensitive',
  funciona: 'work works', tratamiento: 'treatment', tratamientos: 'treatments', servicios: 'services', servicio: 'service', ofertas: 'offers', descuento: 'discount',
  // Restaurants: the menu, diets, meals, tables and groups.
  carta: 'menu', menus: 'menus', plato: 'dish', platos: 'dishes', postre: 'dessert', postres: 'desserts', bebidas: 'drinks',
  opcion: 'option', opciones: 'options', vegana: 'vegan', veganas: 'vegan', vegano: 'vegan', veganos: 'vegan',
  vegetariana: 'vegetarian', vegetarianas: 'vegetarian', vegetariano: 'vegetarian', vegetarianos: 'vegetarian',
  celiaco: 'coeliac gluten free', celiacos: 'coeliac gluten free', alergia: 'allergy', alergias: 'allergies', alergenos: 'allergens', intolerancia: 'intolerance',
  desayuno: 'breakfast', desayunos: 'breakfast', almuerzo: 'lunch', comida: 'lunch food', cena: 'dinner', cenar: 'dinner', cenas: 'dinners',
  mesa: 'table', mesas: 'tables', terraza: 'terrace', grupo: 'group', grupos: 'groups', grande: 'large', grandes: 'large', personas: 'people',
  trona: 'high chair', tronas: 'high chairs', propina: 'tip', propinas: 'tips',
  // Hotels and spas.
  habitacion: 'room', habitaciones: 'rooms', alojamiento: 'stay accommodation', llegada: 'arrival check-in', salida: 'departure check-out',
  piscina: 'pool', toallas: 'towels', albornoz: 'robe', masaje: 'massage', masajes: 'massages', pareja: 'couples couple', parejas: 'couples',
  incluido: 'included', incluida: 'included', incluidos: 'included', incluye: 'include includes', admiten: 'allowed allow', admite: 'allowed allow',
  admitis: 'allowed allow', permiten: 'allowed allow', permitido: 'allowed', permitidos: 'allowed', mascota: 'pet', mascotas: 'pets',
  // Salons.
  peluqueria: 'salon hair', pelo: 'hair', cabello: 'hair', corte: 'cut haircut', cortar: 'cut', tinte: 'colour', mechas: 'highlights',
  peinado: 'styling blow-dry', manicura: 'manicure', pedicura: 'pedicure', productos: 'products', producto: 'product', usan: 'use', utilizan: 'use',
};

/** The folded Spanish text rewritten with English equivalents appended (unknown words are kept as they are). */
export function englishGloss(text: string): string {
  const folded = ` ${words(text).join(' ')} `;
  const out: string[] = [];
  let rest = folded;
  for (const [es, en] of Object.entries(PHRASES)) {
    if (rest.includes(` ${es} `)) {
      out.push(en);
      rest = rest.replace(` ${es} `, ' ');
    }
  }
  for (const w of rest.trim().split(/\s+/)) {
    const en = WORDS[w];
    if (en) out.push(en);
  }
  return out.join(' ');
}

/** Spanish function words that carry no topic (dropped from a glossed query). */
const SPANISH_FUNCTION = new Set(
  (
    'el la los las lo un una unos unas y o u de del al a en por para con sin sobre entre es son ser esta estan estoy esto eso ese esa que quien como ' +
    'cuando donde cual cuales mi mis tu tus su sus nuestro nuestra me te se nos le les hay hola gracias favor puedo puede pueden quiero quisiera tienen ' +
    'tiene teneis tengo usted ustedes vosotros muy mas pero si no ya algo alguien hacer hago hace haceis hacen vez veces bueno buenas buenos dias otra otro'
  ).split(' '),
);

/**
 * A Spanish question as an English search query: the glossed words, plus the
 * words the glossary does not know that still look like topics (names such as
 * "Invisalign" or "DART", numbers).
 */
export function glossQuery(text: string): string {
  const gloss = englishGloss(text);
  const folded = ` ${words(text).join(' ')} `;
  const phraseWords = new Set(Object.keys(PHRASES).filter((p) => folded.includes(` ${p} `)).flatMap((p) => p.split(' ')));
  const leftovers = words(text).filter((w) => !WORDS[w] && !phraseWords.has(w) && !SPANISH_FUNCTION.has(w) && (w.length >= 4 || /\d/.test(w)));
  return [gloss, ...leftovers].filter(Boolean).join(' ');
}

/** Spanish function words in English, so a word-by-word rendering still reads like a question. */
const FUNCTION_WORDS: Readonly<Record<string, string>> = {
  hay: 'is there', tienen: 'do you have', teneis: 'do you have', tiene: 'does it have', tengo: 'I have', tenemos: 'we have',
  puedo: 'can I', puede: 'can', pueden: 'can', podeis: 'can you', podemos: 'can we', se: '', me: 'me', te: 'you', nos: 'us', le: 'you', les: 'you', lo: 'it',
  quiero: 'I want', quisiera: "I'd like", necesito: 'I need', debo: 'should I', hago: 'do I', hacer: 'do', hace: 'does', hacen: 'do you do', haceis: 'do you do',
  el: 'the', la: 'the', los: 'the', las: 'the', un: 'a', una: 'a', unos: 'some', unas: 'some', de: 'of', del: 'of the', al: 'to the', a: 'to',
  en: 'in', para: 'for', por: 'for', con: 'with', sin: 'without', que: 'what', cual: 'which', cuales: 'which', quien: 'who', mi: 'my', mis: 'my',
  su: 'your', sus: 'your', es: 'is', son: 'are', esta: 'is', estan: 'are', estoy: 'I am', soy: 'I am', y: 'and', o: 'or', si: 'if', no: 'not',
  sobre: 'about', entre: 'between', alguien: 'someone', algo: 'something', mucho: 'a lot', muy: 'very', otra: 'another', otro: 'another', ir: 'go',
  voy: 'I am going', vez: 'time', ahora: 'now', aqui: 'here', sitio: 'place', lugar: 'place', pasa: 'happens', pasar: 'happen', ocurre: 'happens',
  ya: 'already', tambien: 'also', solo: 'only', todo: 'all', todos: 'all', mas: 'more', menos: 'less', bien: 'well', mal: 'bad', ver: 'see', venir: 'come',
  vengo: 'I come', llamar: 'call', llamo: 'call', saber: 'know', habla: 'speak', hablar: 'speak', trabajan: 'work', trabajais: 'work',
  dental: 'dental', dentales: 'dental', acceso: 'access', seguras: 'safe', venden: 'sell', vendeis: 'sell', pequenos: 'small', pequeno: 'small',
  caido: 'fallen out', golpe: 'knock', estudiantes: 'students', estudiante: 'student', jubilados: 'pensioners', hacerme: 'get', sale: 'leaves',
  ustedes: 'you', usted: 'you', vosotros: 'you', os: 'you',
};

/**
 * A word-by-word English rendering of a Spanish question, in its own word order: phrases and
 * words from the glossary, function words translated, anything unknown kept (names, "Invisalign").
 * Reads well enough for an English sentence encoder and for BM25 alike.
 */
export function translateQuery(text: string): string {
  const ws = words(text);
  const out: string[] = [];
  const phrases = Object.entries(PHRASES).map(([es, en]) => [es.split(' '), en] as const).sort((a, b) => b[0].length - a[0].length);
  for (let i = 0; i < ws.length; ) {
    const phrase = phrases.find(([p]) => p.every((w, j) => ws[i + j] === w));
    if (phrase) {
      out.push(phrase[1]);
      i += phrase[0].length;
      continue;
    }
    const w = ws[i] ?? '';
    const en = WORDS[w] ?? FUNCTION_WORDS[w];
    if (en === undefined) out.push(w);
    else if (en) out.push(en);
    i++;
  }
  return out.join(' ');
}
