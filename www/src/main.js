// The full page: one playground that keeps its configuration in the URL fragment.
import { TEMPLATE } from './template.js';
import { createPlayground } from './playground.js';

document.getElementById('app').innerHTML = TEMPLATE;
createPlayground(document, { url: true, title: true });
