import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { loadMessages } from './lib/i18n';
import { registerServiceWorker } from './lib/offline';
import { deviceLocale } from './state/session.svelte';

// A reader of another language than English gets its texts (a script of their own) before the
// first paint: the screen is drawn once, in their language, not in English and then again.
void loadMessages(deviceLocale()).then(() => mount(App, { target: document.getElementById('app')! }));
registerServiceWorker();
