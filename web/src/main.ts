import { mount } from 'svelte';
import App from './App.svelte';
import { registerServiceWorker } from './lib/offline';

mount(App, { target: document.getElementById('app')! });
registerServiceWorker();
