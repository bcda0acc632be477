// Interface text in English and Spanish. Keys are English-ish names of what
// the text is for; a missing Spanish string falls back to English (a test
// keeps the two in step). The server's problem messages are shown as sent.
export const LOCALES = ['en', 'es'] as const;
export type Locale = (typeof LOCALES)[number];

const en = {
  appName: 'Aidmap',
  tagline: 'Neighbors helping neighbors',
  need: 'Need',
  offer: 'Offer',
  needs: 'Needs',
  offers: 'Offers',
  all: 'All',
  'category.ride': 'Ride',
  'category.meal': 'Meal',
  'category.tutoring': 'Tutoring',
  'category.grocery': 'Groceries',
  'category.errand': 'Errand',
  'category.childcare': 'Childcare',
  'category.repair': 'Repair',
  'category.lending': 'Lending',
  'category.companionship': 'Company',
  'category.other': 'Other',
  'day.any': 'Any day',
  'day.today': 'Today',
  'day.week': 'This week',
  'day.date': 'On a date',
  filters: 'Filters',
  inView: '{n} posts in view',
  inViewOne: '1 post in view',
  noneInView: 'Nothing here yet. Zoom out, or be the first to post.',
  approximate: 'Approximate place (within {m} m)',
  newPost: 'Post a need or an offer',
  signIn: 'Sign in',
  signUp: 'Create an account',
  signOut: 'Sign out',
  email: 'Email',
  password: 'Password',
  displayName: 'Your name',
  myPosts: 'My posts',
  myMatches: 'My matches',
  'live.live': 'Live',
  'live.connecting': 'Connecting…',
  'live.offline': 'Offline — showing what was last loaded',
  offline: 'You are offline. What you see may be out of date.',
  tilesMissing: 'The map background cannot load; places, the list and forms still work.',
  language: 'Language',
  close: 'Close',
  loading: 'Loading…',
  retry: 'Try again',
  'notice.proposed': '{name} proposed a match',
  'notice.accepted': 'Your match was accepted',
  'notice.declined': 'A proposal was declined',
  'notice.cancelled': 'A match was cancelled',
  'notice.completed': 'A match was completed',
  'notice.suggested': 'A new possible match',
  'notice.message': 'New message from {name}',
};

export type MessageKey = keyof typeof en;

const es: Partial<Record<MessageKey, string>> = {
  appName: 'Aidmap',
  tagline: 'Vecinos ayudando a vecinos',
  need: 'Necesito',
  offer: 'Ofrezco',
  needs: 'Necesidades',
  offers: 'Ofertas',
  all: 'Todo',
  'category.ride': 'Transporte',
  'category.meal': 'Comida',
  'category.tutoring': 'Clases',
  'category.grocery': 'Compras',
  'category.errand': 'Recado',
  'category.childcare': 'Cuidado de niños',
  'category.repair': 'Reparación',
  'category.lending': 'Préstamo',
  'category.companionship': 'Compañía',
  'category.other': 'Otro',
  'day.any': 'Cualquier día',
  'day.today': 'Hoy',
  'day.week': 'Esta semana',
  'day.date': 'Un día concreto',
  filters: 'Filtros',
  inView: '{n} publicaciones en el mapa',
  inViewOne: '1 publicación en el mapa',
  noneInView: 'Aún no hay nada aquí. Aleje el mapa o publique usted primero.',
  approximate: 'Lugar aproximado (a menos de {m} m)',
  newPost: 'Publicar una necesidad o una oferta',
  signIn: 'Entrar',
  signUp: 'Crear una cuenta',
  signOut: 'Salir',
  email: 'Correo electrónico',
  password: 'Contraseña',
  displayName: 'Su nombre',
  myPosts: 'Mis publicaciones',
  myMatches: 'Mis acuerdos',
  'live.live': 'En vivo',
  'live.connecting': 'Conectando…',
  'live.offline': 'Sin conexión: se muestra lo último cargado',
  offline: 'No hay conexión. Lo que ve puede no estar al día.',
  tilesMissing: 'El fondo del mapa no carga; los lugares, la lista y los formularios siguen funcionando.',
  language: 'Idioma',
  close: 'Cerrar',
  loading: 'Cargando…',
  retry: 'Reintentar',
  'notice.proposed': '{name} propuso un acuerdo',
  'notice.accepted': 'Aceptaron su acuerdo',
  'notice.declined': 'Rechazaron una propuesta',
  'notice.cancelled': 'Se canceló un acuerdo',
  'notice.completed': 'Se completó un acuerdo',
  'notice.suggested': 'Una nueva coincidencia posible',
  'notice.message': 'Nuevo mensaje de {name}',
};

export const MESSAGES: Record<Locale, Partial<Record<MessageKey, string>>> = { en, es };

/** The browser's preferred language among ours (Spanish for any `es-*`), else English. */
export function pickLocale(preferred: readonly string[], saved?: string | null): Locale {
  if (saved && (LOCALES as readonly string[]).includes(saved)) {
    return saved as Locale;
  }
  for (const tag of preferred) {
    const primary = tag.toLowerCase().split('-')[0];
    if ((LOCALES as readonly string[]).includes(primary!)) {
      return primary as Locale;
    }
  }
  return 'en';
}

/** The text for `key` in `locale`, with `{name}` placeholders filled in. */
export function translate(locale: Locale, key: MessageKey, params: Record<string, string | number> = {}): string {
  const text = MESSAGES[locale][key] ?? en[key];
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}
